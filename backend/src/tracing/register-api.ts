import { registerTracing } from './register';

// A module of its own, imported first by main.api.ts: its imports are hoisted, a call would not be.
registerTracing('conveyor-api');
