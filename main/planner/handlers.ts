import type { HandlersFor } from '../platform/dispatcher.js';
import { plannerCatalog } from './planning.js';
import type { PlannerService } from './service.js';

export function plannerHandlers(planner: PlannerService): HandlersFor<'planner'> {
  return {
    'planner.catalog': () => plannerCatalog(),
    'planner.plan': (input, context) => planner.plan(input, context.signal),
    'planner.list': ({ limit }) => planner.list(limit),
    'planner.get': ({ id }) => planner.get(id),
    'planner.delete': ({ id }) => planner.delete(id),
    'planner.calibration': () => planner.calibrationRecords(),
    'planner.models': (_input, context) => planner.models(context.signal),
  };
}
