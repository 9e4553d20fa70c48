import { METRICS_NAMESPACE } from '../../shared/domain/metrics';

type Json = Record<string, any>;

/** One of our metrics as a dashboard widget or an alarm names it: its name and the names of its dimensions. */
export interface MetricReference {
  name: string;
  dimensions: string[];
  where: string;
}

/** A CloudFormation value with its intrinsic functions flattened to text (tokens become a placeholder). */
function text(v: unknown): string {
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) return v.map(text).join('');
  if (v && typeof v === 'object') {
    const o = v as Json;
    if (o['Fn::Join']) return (o['Fn::Join'][1] as unknown[]).map(text).join(o['Fn::Join'][0]);
    return 'TOKEN';
  }
  return String(v);
}

/** A dashboard's body as JSON, its tokens (ARNs, names) replaced by the string "TOKEN". */
export function dashboardBody(dashboard: Json): Json {
  return JSON.parse(text(dashboard.Properties.DashboardBody).replace(/"TOKEN"|TOKEN/g, '"TOKEN"')) as Json;
}

/** Every metric of the RetentionDesk namespace the template's alarms and dashboards name. */
export function metricReferences(template: Json): MetricReference[] {
  const out: MetricReference[] = [];
  for (const [id, r] of Object.entries((template.Resources ?? {}) as Record<string, Json>)) {
    if (r.Type === 'AWS::CloudWatch::Alarm') {
      const p = r.Properties;
      if (p.Namespace === METRICS_NAMESPACE)
        out.push({
          name: p.MetricName,
          dimensions: (p.Dimensions ?? []).map((d: Json) => d.Name),
          where: id,
        });
      for (const m of p.Metrics ?? []) {
        const metric = m.MetricStat?.Metric;
        if (metric?.Namespace === METRICS_NAMESPACE)
          out.push({
            name: metric.MetricName,
            dimensions: (metric.Dimensions ?? []).map((d: Json) => d.Name),
            where: id,
          });
      }
    }
    if (r.Type === 'AWS::CloudWatch::Dashboard') {
      const body = dashboardBody(r);
      for (const widget of body.widgets ?? []) {
        for (const m of widget.properties?.metrics ?? []) {
          const row = m as unknown[];
          // [namespace, name, dim, value, dim, value, …, {options}] or [{expression, …}]
          if (row[0] === METRICS_NAMESPACE) {
            const rest = row.slice(2).filter((x) => typeof x === 'string') as string[];
            out.push({ name: row[1] as string, dimensions: rest.filter((_, i) => i % 2 === 0), where: id });
          }
          const expression = (
            row.find((x) => typeof x === 'object' && x && 'expression' in x) as Json | undefined
          )?.expression as string | undefined;
          const search = expression && /SEARCH\('\{([^}]*)\} MetricName="(\w+)"/.exec(expression);
          if (search && search[1]!.split(',')[0] === METRICS_NAMESPACE)
            out.push({
              name: search[2]!,
              dimensions: search[1]!.split(',').slice(1),
              where: `${id} (SEARCH)`,
            });
        }
      }
    }
  }
  return out;
}
