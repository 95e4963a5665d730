import { redirect } from "next/navigation";
import { auth } from "../auth.ts";

export default async function Home() {
  const session = await auth();
  redirect(session?.user ? "/tenants" : "/sign-in");
}
