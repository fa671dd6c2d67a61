/** `moby-dick tag SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]` */
import { MobyDickError } from '../../errors.js';
import { getImage } from '../../images/lookup.js';
import { parseNormalizedReference, referenceString, withDefaultTag } from '../../images/reference.js';
import { parseCommandLine } from '../args.js';
import { withStore } from '../image-context.js';

export const TAG_HELP = `Usage: moby-dick tag SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]

Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE
`;

export async function tag(argv: readonly string[]): Promise<number> {
  const { values: flags, operands } = parseCommandLine(argv, { help: { type: 'boolean' } }, 'moby-dick tag --help');
  if (flags.help) {
    process.stdout.write(TAG_HELP);
    return 0;
  }
  if (operands.length !== 2) {
    throw new MobyDickError('USAGE', '"moby-dick tag" requires exactly 2 arguments', { hint: "see 'moby-dick tag --help'" });
  }
  const target = parseNormalizedReference(operands[1]!);
  if (target.digest !== undefined) {
    throw new MobyDickError('USAGE', 'refusing to create a tag with a digest reference', { subject: operands[1]! });
  }
  await withStore((store) => {
    const { image } = getImage(store, operands[0]!);
    store.tag(image.id, referenceString(withDefaultTag(target)));
  });
  return 0;
}
