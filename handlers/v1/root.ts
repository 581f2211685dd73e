export const WELCOME = 'Router appliance API service is active\n';
