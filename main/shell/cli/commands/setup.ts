import type { Command } from 'commander';
import type { SetupState } from '../../../../shared/domain/setup.js';
import type { CliRuntime } from '../runtime.js';
import { showCommand } from './show-command.js';

export function registerSetupCommands(program: Command, cli: CliRuntime): void {
  showCommand(program, cli, 'setup', "the first visit's steps, which are done and which comes next (the window's First visit page)", 'setup.state', formatSetup);
}

function formatSetup(state: SetupState): string {
  const lines = state.steps.map((step, index) => `${step.done ? '✓' : step.id === state.current ? '→' : ' '} ${index + 1}. ${step.title}: ${step.detail}`);
  return [...lines, state.needed ? 'the window opens on the First visit page until a node is scanned' : 'first visit done'].join('\n');
}
