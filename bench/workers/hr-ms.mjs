// The process's monotonic clock in milliseconds: the same clock on every thread
// (performance.now() counts from each thread's own start), so a time stamped on
// one thread can be read against it on another.
export const hrMs = () => Number(process.hrtime.bigint()) / 1e6;
