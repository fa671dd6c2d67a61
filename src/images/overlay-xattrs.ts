/**
 * The xattr that makes a layer's directory opaque to overlayfs: trusted.*
 * in root's store; user.* in a rootless one, whose overlay is mounted with
 * `userxattr` (a layer's own trusted.* and *.overlay.* xattrs are dropped
 * there). The unpacker writes it and the image-file lookup reads it, so
 * both agree with what the container's overlay hides.
 */
export function opaqueXattr(rootless: boolean): string {
  return rootless ? 'user.overlay.opaque' : 'trusted.overlay.opaque';
}
