// Debian's Chromium, headless, as the tests and benchmarks start it: no
// sandbox (root), and none of the background connections this machine's
// closed network would refuse. `webgpu` adds SwiftShader's WebGPU.

import { chromium } from 'playwright-core';

const FLAGS = [
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

/**
 * @param {{webgpu?: boolean, extra?: string[]}} options
 * @returns {Promise<import('playwright-core').Browser>}
 */
export function launchChromium({ webgpu = false, extra = [] } = {}) {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: [...FLAGS, ...(webgpu ? ['--enable-unsafe-webgpu'] : []), ...extra],
  });
}
