/** The password: a first factor (something you know), typed on the password page. */
import type { MethodModule } from './method.js';

export const passwordMethod: MethodModule = {
  id: 'password',
  amr: ['pwd'],
  factors: ['knowledge'],
  role: 'first',
  start: 'page',
};
