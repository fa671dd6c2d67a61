/**
 * What registries serve: Docker schema 2 manifests and manifest lists, OCI
 * manifests and indexes, and image configs, checked with zod as they arrive.
 * Schema 1 (signed, 2015) is refused by name, as current Docker does.
 */
import { z } from 'zod';

export const MediaType = {
  DockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  DockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  DockerConfig: 'application/vnd.docker.container.image.v1+json',
  DockerLayer: 'application/vnd.docker.image.rootfs.diff.tar',
  DockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  DockerLayerForeignGzip: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
  OciManifest: 'application/vnd.oci.image.manifest.v1+json',
  OciIndex: 'application/vnd.oci.image.index.v1+json',
  OciConfig: 'application/vnd.oci.image.config.v1+json',
  OciLayer: 'application/vnd.oci.image.layer.v1.tar',
  OciLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  OciLayerZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  OciLayerNonDistributable: 'application/vnd.oci.image.layer.nondistributable.v1.tar',
  OciLayerNonDistributableGzip: 'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip',
  OciLayerNonDistributableZstd: 'application/vnd.oci.image.layer.nondistributable.v1.tar+zstd',
  DockerSchema1: 'application/vnd.docker.distribution.manifest.v1+json',
  DockerSchema1Signed: 'application/vnd.docker.distribution.manifest.v1+prettyjws',
} as const;

/** The Accept header for a manifest request: everything moby-dick can read. */
export const MANIFEST_ACCEPT = [
  MediaType.OciIndex,
  MediaType.DockerManifestList,
  MediaType.OciManifest,
  MediaType.DockerManifest,
].join(', ');

export type Compression = 'gzip' | 'zstd' | 'none';

/** How a layer blob is compressed, from its media type; undefined for one we cannot read. */
export function layerCompression(mediaType: string): Compression | undefined {
  switch (mediaType) {
    case MediaType.DockerLayerGzip:
    case MediaType.DockerLayerForeignGzip:
    case MediaType.OciLayerGzip:
    case MediaType.OciLayerNonDistributableGzip:
      return 'gzip';
    case MediaType.OciLayerZstd:
    case MediaType.OciLayerNonDistributableZstd:
      return 'zstd';
    case MediaType.OciLayer:
    case MediaType.OciLayerNonDistributable:
    case MediaType.DockerLayer:
      return 'none';
    default:
      return undefined;
  }
}

const digest = z.string().regex(/^sha256:[a-f0-9]{64}$/, 'a sha256 digest');

export const platformSchema = z.object({
  architecture: z.string(),
  os: z.string(),
  'os.version': z.string().optional(),
  'os.features': z.array(z.string()).optional(),
  variant: z.string().optional(),
});
export type Platform = z.infer<typeof platformSchema>;

export const descriptorSchema = z.object({
  mediaType: z.string(),
  digest,
  size: z.number().int().nonnegative(),
  urls: z.array(z.string()).optional(),
  annotations: z.record(z.string()).optional(),
  platform: platformSchema.optional(),
});
export type Descriptor = z.infer<typeof descriptorSchema>;

export const imageManifestSchema = z.object({
  schemaVersion: z.literal(2),
  mediaType: z.string().optional(),
  config: descriptorSchema,
  layers: z.array(descriptorSchema),
  annotations: z.record(z.string()).optional(),
});
export type ImageManifest = z.infer<typeof imageManifestSchema>;

export const imageIndexSchema = z.object({
  schemaVersion: z.literal(2),
  mediaType: z.string().optional(),
  manifests: z.array(descriptorSchema),
  annotations: z.record(z.string()).optional(),
});
export type ImageIndex = z.infer<typeof imageIndexSchema>;

/** The image config: only what moby-dick reads is checked, the rest is kept as is. */
export const imageConfigSchema = z
  .object({
    architecture: z.string(),
    os: z.string(),
    variant: z.string().optional(),
    created: z.string().optional(),
    author: z.string().optional(),
    config: z
      .object({
        Env: z.array(z.string()).nullish(),
        Cmd: z.array(z.string()).nullish(),
        Entrypoint: z.array(z.string()).nullish(),
        WorkingDir: z.string().nullish(),
        User: z.string().nullish(),
        StopSignal: z.string().nullish(),
        Labels: z.record(z.string()).nullish(),
        ExposedPorts: z.record(z.object({}).passthrough()).nullish(),
      })
      .passthrough()
      .optional(),
    rootfs: z.object({ type: z.literal('layers'), diff_ids: z.array(digest) }),
    history: z.array(z.object({}).passthrough()).optional(),
  })
  .passthrough();
export type ImageConfig = z.infer<typeof imageConfigSchema>;

export type ParsedManifest =
  | { kind: 'index'; mediaType: string; index: ImageIndex }
  | { kind: 'manifest'; mediaType: string; manifest: ImageManifest };

/** Why a manifest could not be read, in words for the user. */
export class ManifestError extends Error {}

function zodMessage(e: z.ZodError): string {
  const first = e.issues[0];
  return first ? `${first.path.join('.') || 'manifest'}: ${first.message}` : 'invalid';
}

/**
 * Reads manifest BYTES served with CONTENT-TYPE. The media type field of the
 * document wins over the header, which some registries get wrong; with
 * neither, the shape decides (an index has "manifests").
 */
export function parseManifest(bytes: Buffer, contentType: string | undefined): ParsedManifest {
  let doc: unknown;
  try {
    doc = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new ManifestError('manifest is not JSON');
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new ManifestError('manifest is not a JSON object');
  const fields = doc as { mediaType?: unknown; schemaVersion?: unknown; manifests?: unknown };
  const header = contentType?.split(';')[0]?.trim();
  const mediaType = typeof fields.mediaType === 'string' ? fields.mediaType : header;
  if (fields.schemaVersion === 1 || mediaType === MediaType.DockerSchema1 || mediaType === MediaType.DockerSchema1Signed) {
    throw new ManifestError('Docker schema 1 manifests are not supported (push the image again with a current tool)');
  }
  const isIndex =
    mediaType === MediaType.OciIndex ||
    mediaType === MediaType.DockerManifestList ||
    ((mediaType === undefined || mediaType === 'application/json') && Array.isArray(fields.manifests));
  if (isIndex) {
    const r = imageIndexSchema.safeParse(doc);
    if (!r.success) throw new ManifestError(`malformed image index: ${zodMessage(r.error)}`);
    return { kind: 'index', mediaType: mediaType ?? MediaType.OciIndex, index: r.data };
  }
  if (mediaType !== undefined && mediaType !== 'application/json' && mediaType !== MediaType.OciManifest && mediaType !== MediaType.DockerManifest) {
    throw new ManifestError(`unsupported manifest media type ${mediaType}`);
  }
  const r = imageManifestSchema.safeParse(doc);
  if (!r.success) throw new ManifestError(`malformed manifest: ${zodMessage(r.error)}`);
  return { kind: 'manifest', mediaType: mediaType ?? MediaType.OciManifest, manifest: r.data };
}

/** Reads an image config; throws ManifestError with the field that is wrong. */
export function parseImageConfig(bytes: Buffer): ImageConfig {
  let doc: unknown;
  try {
    doc = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new ManifestError('image config is not JSON');
  }
  const r = imageConfigSchema.safeParse(doc);
  if (!r.success) throw new ManifestError(`malformed image config: ${zodMessage(r.error)}`);
  return r.data;
}

/** The OCI layer media type for a tar compressed as COMPRESSION. */
export function ociLayerMediaType(compression: Compression): string {
  return compression === 'gzip' ? MediaType.OciLayerGzip : compression === 'zstd' ? MediaType.OciLayerZstd : MediaType.OciLayer;
}

/**
 * An OCI image manifest for a config and layers the store holds, for images
 * that came without one from a registry (loaded from a docker-archive,
 * imported, or written by `save`): push sends it, and `save` writes one per
 * image into the archive's OCI layout.
 */
export function buildOciManifest(config: { digest: string; size: number }, layers: readonly { digest: string; size: number; mediaType: string }[]): Buffer {
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: MediaType.OciManifest,
    config: { mediaType: MediaType.OciConfig, digest: config.digest, size: config.size },
    layers: layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size })),
  };
  return Buffer.from(JSON.stringify(manifest));
}
