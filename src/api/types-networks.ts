/** The Engine API's wire shapes for networks (version 1.43), our own declarations with the reference's field names. */
import type { EndpointSettings } from './types.js';

export interface IpamConfig {
  Subnet?: string;
  IPRange?: string;
  Gateway?: string;
  AuxiliaryAddresses?: Record<string, string> | null;
}

export interface Ipam {
  Driver?: string;
  Config?: IpamConfig[] | null;
  Options?: Record<string, string> | null;
}

/** A container of GET /networks/{id}'s Containers. */
export interface NetworkContainer {
  Name: string;
  EndpointID: string;
  MacAddress: string;
  IPv4Address: string;
  IPv6Address: string;
}

/** GET /networks/{id}, and each row of GET /networks (whose Containers is empty, as dockerd's). */
export interface NetworkResource {
  Name: string;
  Id: string;
  Created: string;
  Scope: 'local' | 'swarm' | 'global';
  Driver: string;
  EnableIPv6: boolean;
  IPAM: Ipam;
  Internal: boolean;
  Attachable: boolean;
  Ingress: boolean;
  ConfigFrom: { Network: string };
  ConfigOnly: boolean;
  Containers: Record<string, NetworkContainer>;
  Options: Record<string, string>;
  Labels: Record<string, string>;
}

/** The body of POST /networks/create. */
export interface NetworkCreateBody {
  Name?: string;
  /** deprecated in 1.44: names are always checked */
  CheckDuplicate?: boolean;
  Driver?: string;
  Scope?: string;
  Internal?: boolean;
  Attachable?: boolean;
  Ingress?: boolean;
  ConfigOnly?: boolean;
  ConfigFrom?: { Network?: string } | null;
  IPAM?: Ipam | null;
  EnableIPv6?: boolean;
  Options?: Record<string, string> | null;
  Labels?: Record<string, string> | null;
}

export interface NetworkCreateResponse {
  Id: string;
  Warning: string;
}

/** The body of POST /networks/{id}/connect. */
export interface NetworkConnectBody {
  Container?: string;
  EndpointConfig?: EndpointSettings | null;
}

/** The body of POST /networks/{id}/disconnect. */
export interface NetworkDisconnectBody {
  Container?: string;
  Force?: boolean;
}

export interface NetworkPruneResponse {
  NetworksDeleted: string[] | null;
}
