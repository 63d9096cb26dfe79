/**
 * The most parallel apply lanes a task may ask for (2024 `runtime.realtime.concurrent`, 2020
 * `setting.speed.concurrent`; docs/target-checkpoint.md "Lanes"): each lane holds one target
 * connection. Its own module so the 2020 and 2024 parsers share it without importing each other.
 */
export const MAX_LANES = 16;
