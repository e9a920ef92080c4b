// Kubernetes resource quantities, as the library (capacity checks) and ksfed (doctor's node check) read them. No imports.

/** Suffix multipliers of Kubernetes resource quantities. */
const QUANTITY_SUFFIX: { [suffix: string]: number } = {
  'n': 1e-9,
  'u': 1e-6,
  'm': 1e-3,
  '': 1,
  'k': 1e3,
  'M': 1e6,
  'G': 1e9,
  'T': 1e12,
  'P': 1e15,
  'E': 1e18,
  'Ki': 2 ** 10,
  'Mi': 2 ** 20,
  'Gi': 2 ** 30,
  'Ti': 2 ** 40,
  'Pi': 2 ** 50,
  'Ei': 2 ** 60,
};
const QUANTITY = /^([+]?)([0-9]+(\.[0-9]*)?|\.[0-9]+)(([eE][-+]?[0-9]+)|n|u|m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$/;

/**
 * Parses a Kubernetes resource quantity ("100m", "1.5", "64Mi", "100M", "1e3") into its value in base units,
 * or returns undefined when it is not a valid quantity.
 */
export function parseQuantity(quantity: string): number | undefined {
  if (typeof quantity !== 'string') return undefined;
  const match = QUANTITY.exec(quantity.trim() === quantity ? quantity : '');
  if (!match) return undefined;
  const number = Number(match[2]);
  const suffix = match[4] ?? '';
  if (/^[eE][-+]?[0-9]+$/.test(suffix)) return number * 10 ** Number(suffix.slice(1));
  const multiplier = QUANTITY_SUFFIX[suffix];
  return multiplier === undefined ? undefined : number * multiplier;
}
