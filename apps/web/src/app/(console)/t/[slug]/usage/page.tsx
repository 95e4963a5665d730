"use client";
import { useQuery } from "@tanstack/react-query";
import { useParams } from "next/navigation";
import { Banner } from "../../../../../components/ui/banner.tsx";
import { Card, CardTitle } from "../../../../../components/ui/card.tsx";
import { Table, Td, Th } from "../../../../../components/ui/table.tsx";
import { errorText, useTRPC } from "../../../../../trpc/client.tsx";

/** Minutes per day as bars: an SVG of our own (no chart library needed for one series). */
function MinutesChart({ days }: { days: { day: string; minutes: number }[] }) {
  const max = Math.max(1, ...days.map((d) => d.minutes));
  const width = 24;
  return (
    <svg
      role="img"
      aria-label="Minutes per day"
      viewBox={`0 0 ${days.length * width} 120`}
      className="h-40 w-full"
      preserveAspectRatio="none"
    >
      {days.map((d, i) => {
        const h = (d.minutes / max) * 100;
        return (
          <rect key={d.day} x={i * width + 4} y={110 - h} width={width - 8} height={h} rx={2} className="fill-brand-500">
            <title>{`${d.day}: ${d.minutes.toFixed(1)} min`}</title>
          </rect>
        );
      })}
    </svg>
  );
}

export default function UsagePage() {
  const { slug } = useParams<{ slug: string }>();
  const trpc = useTRPC();
  const usage = useQuery(trpc.usage.perDay.queryOptions({ tenant: slug, days: 30 }));
  const credits = useQuery(trpc.usage.credits.queryOptions({ tenant: slug }));
  // Every day of the window, with the days without calls at zero.
  const days = Array.from({ length: 30 }, (_, i) => {
    const day = new Date(Date.now() - (29 - i) * 86_400_000).toISOString().slice(0, 10);
    const row = usage.data?.find((r) => r.day === day);
    return { day, calls: row?.calls ?? 0, minutes: (row?.billedSeconds ?? 0) / 60 };
  });
  return (
    <Card className="space-y-4">
      {credits.error && <Banner>{errorText(credits.error)}</Banner>}
      {credits.data?.remainingSeconds != null && (
        <p className="text-sm text-slate-600" data-testid="credits">
          Credits left: <span className="text-lg font-semibold text-slate-900">{Math.floor(credits.data.remainingSeconds / 60)} min</span>{" "}
          (license {credits.data.status})
        </p>
      )}
      <CardTitle>Consumption, last 30 days</CardTitle>
      {usage.error && <Banner>{errorText(usage.error)}</Banner>}
      <MinutesChart days={days} />
      <Table data-testid="usage">
        <thead>
          <tr>
            <Th>Day</Th>
            <Th>Calls</Th>
            <Th>Minutes</Th>
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-100">
          {days
            .filter((d) => d.calls > 0)
            .reverse()
            .map((d) => (
              <tr key={d.day}>
                <Td>{d.day}</Td>
                <Td>{d.calls}</Td>
                <Td>{d.minutes.toFixed(1)}</Td>
              </tr>
            ))}
        </tbody>
      </Table>
    </Card>
  );
}
