import { TenantNav } from "../../../../components/console/tenant-nav.tsx";

export default async function TenantLayout({ children, params }: { children: React.ReactNode; params: Promise<{ slug: string }> }) {
  const { slug } = await params;
  return (
    <div className="space-y-6">
      <TenantNav slug={slug} />
      {children}
    </div>
  );
}
