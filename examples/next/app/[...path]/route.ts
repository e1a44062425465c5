// Every other path: 404, as in every demo.
import { notFound } from "../../lib/route.ts";

export {
  notFound as DELETE,
  notFound as GET,
  notFound as OPTIONS,
  notFound as PATCH,
  notFound as POST,
  notFound as PUT,
};
