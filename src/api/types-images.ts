/**
 * The Engine API's wire shapes for images, /auth and /system/df: our own
 * declarations of what the Engine API reference (version 1.43) defines,
 * with its field names (types.ts has the containers' and the system's).
 */
import type { ContainerConfig, ContainerSummary } from './types.js';
import type { VolumeResponse } from './types-volumes.js';

/** One line of a JSON message stream (pull, push, load, build). */
export interface JsonMessage {
  status?: string;
  /** a layer's ID; "moby.image.id" on a build's aux message */
  id?: string;
  progressDetail?: { current?: number; total?: number };
  progress?: string;
  stream?: string;
  aux?: Record<string, string | number>;
  /** code: a failed build step's exit status (the docker CLI exits with it) */
  errorDetail?: { message: string; code?: number };
  error?: string;
}

/** One row of GET /images/json. */
export interface ImageSummary {
  Id: string;
  ParentId: string;
  RepoTags: string[];
  RepoDigests: string[];
  /** seconds since the epoch */
  Created: number;
  Size: number;
  SharedSize: number;
  /** deprecated in 1.43, still sent (clients of older versions read it) */
  VirtualSize: number;
  Labels: Record<string, string>;
  /** -1: not counted (only /system/df counts them) */
  Containers: number;
}

/** GET /images/{name}/json. */
export interface ImageInspect {
  Id: string;
  RepoTags: string[];
  RepoDigests: string[];
  Parent: string;
  Comment: string;
  Created: string;
  Container: string;
  ContainerConfig: ContainerConfig | null;
  DockerVersion: string;
  Author: string;
  Config: ContainerConfig | null;
  Architecture: string;
  Variant?: string;
  Os: string;
  OsVersion?: string;
  Size: number;
  VirtualSize: number;
  GraphDriver: { Name: string; Data: Record<string, string> };
  RootFS: { Type: string; Layers: string[] };
  Metadata: { LastTagTime: string };
}

/** One entry of GET /images/{name}/history, newest first. */
export interface HistoryResponseItem {
  /** the image's ID for the newest entry, "<missing>" for the others */
  Id: string;
  Created: number;
  CreatedBy: string;
  Tags: string[] | null;
  Size: number;
  Comment: string;
}

/** One entry of DELETE /images/{name} and of prune's ImagesDeleted. */
export interface ImageDeleteResponseItem {
  Untagged?: string;
  Deleted?: string;
}

export interface ImagePruneResponse {
  ImagesDeleted: ImageDeleteResponseItem[] | null;
  SpaceReclaimed: number;
}

/** The body of POST /auth, and the JSON of X-Registry-Auth (base64url). */
export interface AuthConfig {
  username?: string;
  password?: string;
  /** deprecated, ignored */
  email?: string;
  serveraddress?: string;
  identitytoken?: string;
  registrytoken?: string;
}

export interface AuthResponse {
  Status: string;
  IdentityToken: string;
}

/** A container's row in /system/df: ContainerSummary's fields the docker CLI reads there, with the sizes. */
export type DfContainer = Pick<ContainerSummary, 'Id' | 'Names' | 'Image' | 'ImageID' | 'Command' | 'Created' | 'State' | 'Status' | 'Labels'> & {
  SizeRw: number;
  SizeRootFs: number;
  Mounts: { Type: string; Name?: string; Source: string; Destination: string; RW: boolean }[];
};

/** GET /system/df. */
export interface SystemDfResponse {
  LayersSize: number;
  Images: ImageSummary[];
  Containers: DfContainer[];
  Volumes: VolumeResponse[];
  BuildCache: never[];
}
