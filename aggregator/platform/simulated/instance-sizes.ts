/**
 * App Platform's instance sizes, as GET /v2/apps/tiers/instance_sizes lists them: the official
 * example list (`components.examples.instance_sizes` in apps.yaml) verbatim, so prices are
 * DigitalOcean's own figures (test/contract checks the copy against apps.yaml). The one place
 * the simulated platform knows sizes and prices.
 */

/** An `apps_instance_size`: int64 fields are strings, as protobuf's JSON mapping writes them. */
export interface InstanceSizeJson {
  readonly name: string;
  readonly slug: string;
  readonly cpu_type: 'UNSPECIFIED' | 'SHARED' | 'DEDICATED';
  readonly cpus: string;
  readonly memory_bytes: string;
  /** USD per month with two decimals, e.g. `12.00`. */
  readonly usd_per_month: string;
  readonly usd_per_second: string;
  readonly tier_slug: string;
  readonly single_instance_only?: boolean;
  readonly scalable?: boolean;
  readonly bandwidth_allowance_gib: string;
}

/** The instance sizes, cheapest shared first, in the example's order. */
export const INSTANCE_SIZES: readonly InstanceSizeJson[] = frozen<InstanceSizeJson>([
  {
    name: 'Shared 1VCPU 0.5GB',
    slug: 'apps-s-1vcpu-0.5gb',
    cpu_type: 'SHARED',
    cpus: '1',
    memory_bytes: '536870912',
    usd_per_month: '5.00',
    usd_per_second: '0.000002066799',
    tier_slug: 'basic',
    single_instance_only: true,
    bandwidth_allowance_gib: '50',
  },
  {
    name: 'Shared 1VCPU 1GB Fixed',
    slug: 'apps-s-1vcpu-1gb-fixed',
    cpu_type: 'SHARED',
    cpus: '1',
    memory_bytes: '1073741824',
    usd_per_month: '10.00',
    usd_per_second: '0.000004133598',
    tier_slug: 'basic',
    single_instance_only: true,
    bandwidth_allowance_gib: '100',
  },
  {
    name: 'Shared 1VCPU 1GB',
    slug: 'apps-s-1vcpu-1gb',
    cpu_type: 'SHARED',
    cpus: '1',
    memory_bytes: '1073741824',
    usd_per_month: '12.00',
    usd_per_second: '0.000004960317',
    tier_slug: 'professional',
    bandwidth_allowance_gib: '150',
  },
  {
    name: 'Shared 1VCPU 2GB',
    slug: 'apps-s-1vcpu-2gb',
    cpu_type: 'SHARED',
    cpus: '1',
    memory_bytes: '2147483648',
    usd_per_month: '25.00',
    usd_per_second: '0.000010333995',
    tier_slug: 'professional',
    bandwidth_allowance_gib: '200',
  },
  {
    name: 'Shared 2VCPU 4GB',
    slug: 'apps-s-2vcpu-4gb',
    cpu_type: 'SHARED',
    cpus: '2',
    memory_bytes: '4294967296',
    usd_per_month: '50.00',
    usd_per_second: '0.000020667989',
    tier_slug: 'professional',
    bandwidth_allowance_gib: '250',
  },
  {
    name: 'Dedicated 1VCPU 0.5GB',
    slug: 'apps-d-1vcpu-0.5gb',
    cpu_type: 'DEDICATED',
    cpus: '1',
    memory_bytes: '536870912',
    usd_per_month: '29.00',
    usd_per_second: '0.000011987434',
    tier_slug: 'professional',
    scalable: true,
    bandwidth_allowance_gib: '100',
  },
  {
    name: 'Dedicated 1VCPU 1GB',
    slug: 'apps-d-1vcpu-1gb',
    cpu_type: 'DEDICATED',
    cpus: '1',
    memory_bytes: '1073741824',
    usd_per_month: '34.00',
    usd_per_second: '0.000014054233',
    tier_slug: 'professional',
    scalable: true,
    bandwidth_allowance_gib: '200',
  },
  {
    name: 'Dedicated 1VCPU 2GB',
    slug: 'apps-d-1vcpu-2gb',
    cpu_type: 'DEDICATED',
    cpus: '1',
    memory_bytes: '2147483648',
    usd_per_month: '39.00',
    usd_per_second: '0.000016121032',
    tier_slug: 'professional',
    scalable: true,
    bandwidth_allowance_gib: '300',
  },
  {
    name: 'Dedicated 1VCPU 4GB',
    slug: 'apps-d-1vcpu-4gb',
    cpu_type: 'DEDICATED',
    cpus: '1',
    memory_bytes: '4294967296',
    usd_per_month: '49.00',
    usd_per_second: '0.000020254630',
    tier_slug: 'professional',
    scalable: true,
    bandwidth_allowance_gib: '400',
  },
  {
    name: 'Dedicated 2VCPU 4GB',
    slug: 'apps-d-2vcpu-4gb',
    cpu_type: 'DEDICATED',
    cpus: '2',
    memory_bytes: '4294967296',
    usd_per_month: '78.00',
    usd_per_second: '0.000032242063',
    tier_slug: 'professional',
    scalable: true,
    bandwidth_allowance_gib: '500',
  },
  {
    name: 'Dedicated 2VCPU 8GB',
    slug: 'apps-d-2vcpu-8gb',
    cpu_type: 'DEDICATED',
    cpus: '2',
    memory_bytes: '8589934592',
    usd_per_month: '98.00',
    usd_per_second: '0.000040509259',
    tier_slug: 'professional',
    scalable: true,
    bandwidth_allowance_gib: '600',
  },
  {
    name: 'Dedicated 4VCPU 8GB',
    slug: 'apps-d-4vcpu-8gb',
    cpu_type: 'DEDICATED',
    cpus: '4',
    memory_bytes: '8589934592',
    usd_per_month: '156.00',
    usd_per_second: '0.000064484127',
    tier_slug: 'professional',
    scalable: true,
    bandwidth_allowance_gib: '700',
  },
  {
    name: 'Dedicated 4VCPU 16GB',
    slug: 'apps-d-4vcpu-16gb',
    cpu_type: 'DEDICATED',
    cpus: '4',
    memory_bytes: '17179869184',
    usd_per_month: '196.00',
    usd_per_second: '0.000081018519',
    tier_slug: 'professional',
    scalable: true,
    bandwidth_allowance_gib: '800',
  },
  {
    name: 'Dedicated 8VCPU 32GB',
    slug: 'apps-d-8vcpu-32gb',
    cpu_type: 'DEDICATED',
    cpus: '8',
    memory_bytes: '34359738368',
    usd_per_month: '392.00',
    usd_per_second: '0.000162037037',
    tier_slug: 'professional',
    scalable: true,
    bandwidth_allowance_gib: '900',
  },
]);

/** The size with this slug; null when App Platform lists none by it. */
export function instanceSize(slug: string): InstanceSizeJson | null {
  return INSTANCE_SIZES.find((size) => size.slug === slug) ?? null;
}

/** What one instance of the size costs a month, in cents (`12.00` → 1200); null for an unknown slug. */
export function instanceSizeMonthlyCents(slug: string): number | null {
  const size = instanceSize(slug);
  // Whole cents from the decimal string, so no float rounding creeps into sums of them.
  const match = size ? /^(\d+)\.(\d\d)$/.exec(size.usd_per_month) : null;
  return match ? Number(match[1]) * 100 + Number(match[2]) : null;
}

/** The list and its entries frozen: a caller cannot change a price for everyone. */
function frozen<T extends object>(list: T[]): readonly T[] {
  for (const item of list) Object.freeze(item);
  return Object.freeze(list);
}
