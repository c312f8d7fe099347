/** `npm run golden`: rewrites the firmware font header and the golden frames from the TypeScript sources. */
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fontHeader, goldenFrames } from './generate.ts';

const project = resolve(import.meta.dirname, '../../..');
writeFileSync(join(project, 'devices/esp32/marquee_sign/src/core/font5x7.h'), fontHeader());
writeFileSync(join(project, 'devices/golden/frames.txt'), goldenFrames());
console.log('wrote devices/esp32/marquee_sign/src/core/font5x7.h and devices/golden/frames.txt');
