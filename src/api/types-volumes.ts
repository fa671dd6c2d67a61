/** The Engine API's wire shapes for volumes (version 1.43), our own declarations with the reference's field names. */

export interface VolumeResponse {
  Name: string;
  Driver: string;
  Mountpoint: string;
  CreatedAt: string;
  Labels: Record<string, string> | null;
  Scope: 'local' | 'global';
  Options: Record<string, string> | null;
  Status?: Record<string, unknown>;
  /** only in /system/df: -1 where not counted */
  UsageData?: { Size: number; RefCount: number } | null;
}

/** GET /volumes. */
export interface VolumeListResponse {
  Volumes: VolumeResponse[];
  Warnings: string[];
}

/** The body of POST /volumes/create. */
export interface VolumeCreateBody {
  Name?: string;
  Driver?: string;
  DriverOpts?: Record<string, string> | null;
  Labels?: Record<string, string> | null;
  ClusterVolumeSpec?: unknown;
}

export interface VolumePruneResponse {
  VolumesDeleted: string[] | null;
  SpaceReclaimed: number;
}
