import pytest
from pytest_socket import disable_socket, enable_socket


@pytest.fixture(autouse=True)
def _no_network():
    """Unit tests touch neither AWS nor the network: any socket is an error."""
    disable_socket()
    yield
    enable_socket()
