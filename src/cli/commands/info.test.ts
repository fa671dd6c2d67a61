import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SystemInfo } from '../../engine/system-info.js';
import { type InfoDocument, infoText } from './info.js';

const info = {
  ID: '', Containers: 3, ContainersRunning: 1, ContainersPaused: 0, ContainersStopped: 2, Images: 4, Driver: 'overlay2', DriverStatus: [['Backing Filesystem', 'extfs']],
  Plugins: { Volume: ['local'], Network: ['bridge', 'host', 'none'], Authorization: null, Log: ['json-file'] },
  LoggingDriver: 'json-file', CgroupDriver: 'cgroupfs', CgroupVersion: '2', KernelVersion: '6.1.0', OperatingSystem: 'Debian GNU/Linux 12 (bookworm)', OSType: 'linux',
  Architecture: 'x86_64', NCPU: 2, MemTotal: 8 * 1024 ** 3, DockerRootDir: '/tmp/store', HttpProxy: '', HttpsProxy: '', NoProxy: '', Name: 'host', Debug: false,
  ExperimentalBuild: false, ServerVersion: '1.2.3', Runtimes: { 'moby-dick': { path: 'x' } }, DefaultRuntime: 'moby-dick', InitBinary: 'mdk-init',
  Swarm: { LocalNodeState: 'inactive' }, SecurityOptions: ['name=seccomp,profile=builtin'], RegistryConfig: { InsecureRegistryCIDRs: ['127.0.0.0/8'] }, LiveRestoreEnabled: true,
} as unknown as SystemInfo;
const doc: InfoDocument = { ...info, ClientInfo: { Debug: false, Version: '1.2.3', Context: 'default', Plugins: [], Warnings: null } };

test("info: Docker's layout of the Server section, the engine's root as Docker Root Dir", () => {
  const text = infoText(doc);
  for (const line of [
    'Server:\n Containers: 3\n  Running: 1\n  Paused: 0\n  Stopped: 2\n Images: 4\n Server Version: 1.2.3\n Storage Driver: overlay2\n  Backing Filesystem: extfs\n',
    ' Cgroup Driver: cgroupfs\n Cgroup Version: 2\n',
    ' Security Options:\n  seccomp\n   Profile: builtin\n',
    ' Kernel Version: 6.1.0\n Operating System: Debian GNU/Linux 12 (bookworm)\n OSType: linux\n Architecture: x86_64\n CPUs: 2\n Total Memory: 8GiB\n Name: host\n Docker Root Dir: /tmp/store\n',
  ]) assert.ok(text.includes(line), `${JSON.stringify(line)} in\n${text}`);
  assert.ok(text.startsWith('Client:\n Version:    1.2.3\n Context:    default\n Debug Mode: false\n\n'));
  assert.ok(!/ $/m.test(text), 'no line ends with a space');
});
