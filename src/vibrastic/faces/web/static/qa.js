// The notification bell counts unread Q&A notifications live (server-sent events, own count only).
(function () {
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
