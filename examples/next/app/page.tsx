// GET /: the page, rendered by a Server Component from the session it reads
// (Server Components may read cookies but not set them: readSession()).
// Reading the session makes the page dynamic: Next.js renders it per request
// and never caches it.
import { readSession } from "../lib/session.ts";
import { Counter, SessionForm } from "./controls.tsx";

export default async function Home() {
  const session = await readSession();
  const count = session.get("count") ?? 0;
  const user = session.get("user");
  return (
    <>
      <h1>sesame demo</h1>
      <p>
        Count: <Counter initial={count} />
      </p>
      {user === undefined
        ? (
          <SessionForm id="login" action="/login">
            <label>
              Name{" "}
              <input
                name="user"
                required
                maxLength={100}
                autoComplete="username"
              />
            </label>{" "}
            <button type="submit">Log in</button>
          </SessionForm>
        )
        : (
          <>
            <p>
              Logged in as <strong id="user">{user}</strong>
            </p>
            <SessionForm id="logout" action="/logout">
              <button type="submit">Log out</button>
            </SessionForm>
          </>
        )}
    </>
  );
}
