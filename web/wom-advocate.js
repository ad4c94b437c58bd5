// wom-advocate.js: the advocate's page part of wom.js (SPEC §3.5, §3.6). wom.js loads it from beside
// itself only on a page with a <div data-wom-advocate="<status_token>">, once consent allows, and hands
// it its own helpers (wom._). Readable source; the served file is shared/tracking/static/wom-advocate.min.js.
((internals) => {
  const { base, encode, make, button, renderShare, consented } = internals;
  const sentence = (words) => words[0].toUpperCase() + words.slice(1).replace(/_/g, " ");

  const render = (block) => {
    if (block._code || !consented()) return;
    const data = block.dataset;
    block._code = data.womAdvocate;
    fetch(`${base}/v1/advocate-status?token=${encode(data.womAdvocate)}`)
      .then((response) => (response.ok ? response.json() : Promise.reject()))
      .then((status) => {
        const currency = status.currency || data.womCurrency;
        const format = currency && new Intl.NumberFormat(undefined, { style: "currency", currency });
        const figures = make("dl", "wom-advocate__figures");
        const figure = (name, value) => figures.append(make("dt", "", name), make("dd", "", value));
        figure("Shares", status.shares);
        figure("Clicks", status.clicks);
        for (const state of ["pending", "approved", "paid"]) {
          const { count, amount } = status.rewards[state];
          // Amounts are minor units: the currency's own number of decimals makes them money.
          figure(`Rewards ${state}`, count + (format ? ` (${format.format(amount / 10 ** format.resolvedOptions().maximumFractionDigits)})` : ""));
        }
        // None yet is a sentence, not a numbered list of one.
        const referrals = status.referrals.length ? make("ol", "wom-referrals") : make("p", "wom-referrals--none", "No referrals yet");
        if (status.referrals.length) referrals.ariaLabel = "Referrals";
        for (const { status: state, reason, at } of status.referrals) {
          referrals.append(make("li", `wom-referral wom-referral--${state}`,
            sentence(state) + (reason ? `: ${sentence(reason).toLowerCase()} ` : " "),
            Object.assign(make("time", "", new Date(at).toLocaleDateString()), { dateTime: at })));
        }
        const shares = make("div", "wom-advocate__share");
        block.replaceChildren(
          make("p", "wom-advocate__link", Object.assign(make("a", "", status.link), { href: status.link }), " ", button(status.code, "copy_link", status.link)),
          shares, figures, referrals);
        // The advocate's own share buttons: the same as a share block's, and its view is recorded the same way.
        renderShare(shares, status.code, status.link, data.womChannels || "whatsapp,facebook,x,email,sms", data.womText);
      })
      .catch(() => block.classList.add("wom-advocate--error"));
  };

  internals.advocate = () => document.querySelectorAll("[data-wom-advocate]").forEach(render);
  internals.advocate();
})(wom._);
