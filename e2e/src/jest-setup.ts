// Runs before every e2e test file (jest.config.js, setupFilesAfterEnv). jest reads `testTimeout` only from
// the global config, not from a project's, so the e2e project sets its default here: real-apiserver and
// router-lab tests take seconds to minutes, not jest's 5 s. Files that want a tighter bound set their own.
import { jest } from '@jest/globals';

jest.setTimeout(300_000);
