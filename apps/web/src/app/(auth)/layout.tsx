export default function AuthLayout({ children }: { children: React.ReactNode }) {
  return (
    <main className="flex min-h-screen items-center justify-center px-4 py-12">
      <div className="w-full max-w-sm space-y-8">
        <div className="text-center">
          <p className="text-2xl font-bold tracking-tight text-brand-700">DSAI</p>
          <p className="mt-1 text-sm text-slate-500">AI voice agents on Asterisk</p>
        </div>
        {children}
      </div>
    </main>
  );
}
