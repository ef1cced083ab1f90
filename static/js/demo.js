// Buttons of the demo page: an SPA navigation and a custom event, as a site would do them.
document.getElementById("spa-next").addEventListener("click", function () {
  var next = "/demo/page-" + (Math.floor(Math.random() * 5) + 2);
  history.pushState({}, "", next);
  document.getElementById("where").textContent = next;
});
document.getElementById("signup").addEventListener("click", function () {
  window.footfall("Signup", { props: { plan: "pro" } });
  this.textContent = "Signup sent ✓";
});
