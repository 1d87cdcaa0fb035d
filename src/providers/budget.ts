import { NANO_PER_USD } from "./prices.js";

/** Hard limits of a run: USD and/or tokens (input + output). Absent = unlimited. */
export interface BudgetLimits {
  usd?: number;
  tokens?: number;
}

/** An amount of spend: worst case before a call, actual after it. */
export interface Cost {
  usd: number;
  tokens: number;
}

export interface Spend extends Cost {
  calls: number;
}

export interface Payer {
  agent?: string;
  task?: string;
}

/** Money set aside for one call in flight; `commit` it with the actual cost or `release` it. */
export interface Reservation extends Payer {
  readonly id: number;
  readonly nanos: number;
  readonly tokens: number;
}

interface Tally {
  nanos: number;
  tokens: number;
  calls: number;
}

const toNanos = (usd: number) => Math.round(usd * NANO_PER_USD);
const emptyTally = (): Tally => ({ nanos: 0, tokens: 0, calls: 0 });
const spendOf = (tally: Tally): Spend => ({ usd: tally.nanos / NANO_PER_USD, tokens: tally.tokens, calls: tally.calls });

/**
 * The run's purse. Invariant: spent + reserved never exceeds a limit, because a call is only
 * started after `reserve(worst case)` succeeded, and `reserve` refuses (returns null, an expected
 * shortage) when the worst case COULD exceed what is left. Amounts are integer nano-dollars, so
 * "exactly at the limit" is exact. Accounting per run (the whole object), per agent and per task.
 */
export class Budget {
  readonly limits: BudgetLimits;
  private readonly limitNanos: number | undefined;
  private readonly total = emptyTally();
  private readonly byAgent = new Map<string, Tally>();
  private readonly byTask = new Map<string, Tally>();
  private readonly open = new Map<number, Reservation>();
  private reservedNanos = 0;
  private reservedTokens = 0;
  private nextId = 1;

  constructor(limits: BudgetLimits = {}) {
    this.limits = { ...limits };
    this.limitNanos = limits.usd === undefined ? undefined : toNanos(limits.usd);
  }

  /** True when a call costing at most `estimate` fits in what is neither spent nor reserved. */
  canAfford(estimate: Partial<Cost>): boolean {
    const nanos = toNanos(estimate.usd ?? 0);
    const tokens = estimate.tokens ?? 0;
    if (this.limitNanos !== undefined && this.total.nanos + this.reservedNanos + nanos > this.limitNanos) return false;
    if (this.limits.tokens !== undefined && this.total.tokens + this.reservedTokens + tokens > this.limits.tokens) return false;
    return true;
  }

  /** Sets aside the worst case of the next call, or returns null when it could exceed a limit. */
  reserve(maxCost: Partial<Cost>, payer: Payer = {}): Reservation | null {
    if (!this.canAfford(maxCost)) return null;
    const reservation: Reservation = { id: this.nextId++, nanos: toNanos(maxCost.usd ?? 0), tokens: maxCost.tokens ?? 0, ...payer };
    this.open.set(reservation.id, reservation);
    this.reservedNanos += reservation.nanos;
    this.reservedTokens += reservation.tokens;
    return reservation;
  }

  /** Frees the reservation and charges what the call actually cost to its payer. */
  commit(reservation: Reservation, actual: Cost): void {
    this.release(reservation);
    this.charge(actual, reservation);
  }

  /** Frees a reservation whose call did not happen (or failed before costing anything). */
  release(reservation: Reservation): void {
    if (!this.open.delete(reservation.id)) return;
    this.reservedNanos -= reservation.nanos;
    this.reservedTokens -= reservation.tokens;
  }

  /** Records spend that happened (a call made without a reservation still counts). */
  charge(actual: Cost, payer: Payer = {}): void {
    const nanos = toNanos(actual.usd);
    for (const tally of this.talliesOf(payer)) {
      tally.nanos += nanos;
      tally.tokens += actual.tokens;
      tally.calls += 1;
    }
  }

  get spent(): Spend {
    return spendOf(this.total);
  }

  spentBy(agent: string): Spend {
    return spendOf(this.byAgent.get(agent) ?? emptyTally());
  }

  spentOn(task: string): Spend {
    return spendOf(this.byTask.get(task) ?? emptyTally());
  }

  /** What is left after spend and open reservations; undefined where there is no limit. */
  remaining(): BudgetLimits {
    return {
      usd: this.limitNanos === undefined ? undefined : (this.limitNanos - this.total.nanos - this.reservedNanos) / NANO_PER_USD,
      tokens: this.limits.tokens === undefined ? undefined : this.limits.tokens - this.total.tokens - this.reservedTokens,
    };
  }

  /** Spend per agent and per task, for the run report. */
  report(): { total: Spend; agents: Record<string, Spend>; tasks: Record<string, Spend> } {
    const mapOf = (tallies: Map<string, Tally>) => Object.fromEntries([...tallies].map(([key, tally]) => [key, spendOf(tally)]));
    return { total: this.spent, agents: mapOf(this.byAgent), tasks: mapOf(this.byTask) };
  }

  private talliesOf(payer: Payer): Tally[] {
    const tallies = [this.total];
    if (payer.agent !== undefined) tallies.push(tallyIn(this.byAgent, payer.agent));
    if (payer.task !== undefined) tallies.push(tallyIn(this.byTask, payer.task));
    return tallies;
  }
}

function tallyIn(tallies: Map<string, Tally>, key: string): Tally {
  let tally = tallies.get(key);
  if (tally === undefined) {
    tally = emptyTally();
    tallies.set(key, tally);
  }
  return tally;
}
