import type { SetupState } from '../../shared/domain/setup.js';
import { checkConfirmation, setupState, type SetupConfirmation, type SetupFacts } from './core/progress.js';

export interface SetupDeps {
  /** Read afresh on every call: the steps follow what the other capabilities hold now. */
  facts: () => SetupFacts;
}

/**
 * The guided first visit. Its state is derived, never kept beside the services: a confirmation is the
 * journaled `setup.confirm` call itself, which `facts` reads back, so a restart resumes where it stood.
 */
export class SetupService {
  constructor(private readonly deps: SetupDeps) {}

  state(): SetupState {
    return setupState(this.deps.facts());
  }

  /** The dispatcher journals this call after it answers, so the answer counts the confirmation itself. */
  confirm(confirmation: SetupConfirmation): SetupState {
    const facts = this.deps.facts();
    checkConfirmation(confirmation, facts);
    return setupState({ ...facts, confirmations: [confirmation, ...facts.confirmations] });
  }
}
