// The market simulator's cost (warm-up and real-time stepping), measured by its own bench module.
export { default } from '../test/sim/simulator.bench.ts';
