/** The demo's HTML page. @module */

const ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

/** Renders the page for the session's current state. */
export function renderPage(
  state: { count: number | null; user: string | null },
): string {
  const who = state.user === null
    ? `<form id="login" method="post" action="/login">
      <label>Name <input name="user" required maxlength="100" autocomplete="username"></label>
      <button type="submit">Log in</button>
    </form>`
    : `<p>Logged in as <strong id="user">${escapeHtml(state.user)}</strong></p>
    <form id="logout" method="post" action="/logout">
      <button type="submit">Log out</button>
    </form>`;
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <link rel="icon" href="data:,">
  <title>sesame demo</title>
  <style>
    body { font: 16px/1.5 system-ui, sans-serif; max-width: 32rem; margin: 3rem auto; padding: 0 1rem; }
    button { font: inherit; padding: .25rem .75rem; }
    output { font-weight: bold; }
  </style>
</head>
<body>
  <h1>sesame demo</h1>
  <p>Count: <output id="count">${state.count ?? 0}</output>
    <button id="increment" type="button">+1</button></p>
  ${who}
  <script>
    document.getElementById("increment").addEventListener("click", async () => {
      const response = await fetch("/count");
      const { count } = await response.json();
      document.getElementById("count").textContent = count;
    });
    for (const form of document.querySelectorAll("form")) {
      form.addEventListener("submit", async (event) => {
        event.preventDefault();
        const response = await fetch(form.action, { method: "POST", body: new URLSearchParams(new FormData(form)) });
        if (!response.ok) {
          alert((await response.json()).error);
          return;
        }
        location.reload();
      });
    }
  </script>
</body>
</html>
`;
}
