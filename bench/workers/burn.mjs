/** The CPU-bound work of the pool benchmark, shared by the worker and the main-thread baseline. */
export function burn(iterations) {
  let x = 0;
  for (let i = 0; i < iterations; i++) x = (x * 31 + i) % 1000003;
  return x;
}
