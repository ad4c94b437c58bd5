"""Commerce webhooks (SPEC §3.4): verify each platform's signature, translate its payload into a wom command.

stripe.py and shopify.py are pure (no boto3, no I/O); commands.py holds what they return; a thin route hands those
to the conversion and refund service.
"""
