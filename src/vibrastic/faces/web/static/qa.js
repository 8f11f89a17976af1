// The Q&A board: math in posts is typeset by KaTeX (the server sends it as span/div.math text),
// and the notification bell counts unread notifications live (server-sent events, own count).
(function () {
  if (window.katex) {
    document.querySelectorAll(".qa-body .math").forEach((el) => {
      try {
        window.katex.render(el.textContent, el, {displayMode: el.tagName === "DIV",
                                                 throwOnError: false});
      } catch (err) { /* keep the TeX text */ }
    });
  }
  const bell = document.getElementById("bell");
  if (!bell || !window.EventSource) return;
  const count = document.getElementById("bell-count");
  const source = new EventSource(bell.dataset.events);
  source.addEventListener("bell", (event) => {
    const unread = JSON.parse(event.data).unread;
    count.textContent = String(unread);
    bell.setAttribute("aria-label", `Notifications: ${unread} unread`);
    bell.classList.toggle("unread", unread > 0);
  });
})();
