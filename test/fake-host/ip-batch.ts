export * from '../../runtime/host/simulated-ip.ts';
