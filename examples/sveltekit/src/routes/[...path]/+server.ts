// Every other path and method: 404, as in every demo.
import { notFound } from "../../lib/server/answer.ts";

export const fallback = notFound;
