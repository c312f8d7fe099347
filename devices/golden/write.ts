/** `npm run golden`: rewrites the firmware's font and rules headers and the golden frames from the TypeScript sources. */
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fontHeader, goldenFrames } from './generate.ts';
import { rulesHeader } from './rules-header.ts';

const project = resolve(import.meta.dirname, '../../..');
writeFileSync(join(project, 'devices/esp32/marquee_sign/src/core/font5x7.h'), fontHeader());
writeFileSync(join(project, 'devices/esp32/marquee_sign/src/core/sign_rules.h'), rulesHeader());
writeFileSync(join(project, 'devices/golden/frames.txt'), goldenFrames());
console.log('wrote devices/esp32/marquee_sign/src/core/font5x7.h, sign_rules.h and devices/golden/frames.txt');
