import Link from "next/link";
import { redirect } from "next/navigation";
import { auth, signOut } from "../../auth.ts";
import { AdminLink } from "../../components/console/admin-link.tsx";
import { Button } from "../../components/ui/button.tsx";

export default async function ConsoleLayout({ children }: { children: React.ReactNode }) {
  const session = await auth();
  const email = session?.user?.email;
  if (!email) redirect("/sign-in");
  return (
    <div className="min-h-screen">
      <header className="border-b border-slate-200 bg-white">
        <div className="mx-auto flex max-w-5xl items-center justify-between px-4 py-3">
          <Link href="/tenants" className="text-lg font-bold tracking-tight text-brand-700">
            DSAI
          </Link>
          <div className="flex items-center gap-3 text-sm text-slate-600">
            <AdminLink />
            <span data-testid="signed-in-as">{email}</span>
            <form
              action={async () => {
                "use server";
                await signOut({ redirectTo: "/sign-in" });
              }}
            >
              <Button variant="ghost" type="submit">
                Sign out
              </Button>
            </form>
          </div>
        </div>
      </header>
      <main className="mx-auto max-w-5xl px-4 py-8">{children}</main>
    </div>
  );
}
