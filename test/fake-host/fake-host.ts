// The simulated host, under the name the tests use.
export * from '../../runtime/host/simulated.ts';
