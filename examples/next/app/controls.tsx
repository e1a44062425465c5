"use client";
// The page's two behaviours, as in the other demos' page: +1 fetches
// /count, and the forms post with fetch, then reload the page.
import { type FormEvent, type ReactNode, useState } from "react";

export function Counter({ initial }: { initial: number }) {
  const [count, setCount] = useState(initial);
  const increment = async () => {
    const response = await fetch("/count");
    setCount((await response.json()).count);
  };
  return (
    <>
      <output id="count">{count}</output>{" "}
      <button id="increment" type="button" onClick={increment}>+1</button>
    </>
  );
}

export function SessionForm(
  { id, action, children }: { id: string; action: string; children: ReactNode },
) {
  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = event.currentTarget;
    const response = await fetch(action, {
      method: "POST",
      body: new URLSearchParams(
        new FormData(form) as unknown as Record<string, string>,
      ),
    });
    if (!response.ok) {
      alert((await response.json()).error);
      return;
    }
    location.reload();
  };
  return (
    <form id={id} method="post" action={action} onSubmit={submit}>
      {children}
    </form>
  );
}
