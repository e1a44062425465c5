"use server";
// A Server Action that logs in and redirects: the session is committed
// (its cookie set through cookies().set()) before redirect(), which throws.
import { redirect } from "next/navigation";
import { getSession } from "../../../lib/session.ts";

export async function logIn(form: FormData): Promise<void> {
  const user = String(form.get("user") ?? "").trim();
  if (user === "" || user.length > 100) return;
  const session = await getSession();
  session.regenerate();
  session.set("user", user);
  await session.commit();
  redirect("/");
}
