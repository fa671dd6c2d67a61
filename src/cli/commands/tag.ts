/** `moby-dick tag SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]` */
import { MobyDickError } from '../../errors.js';
import { getImage } from '../../images/lookup.js';
import { parseNormalizedReference, withDefaultTag } from '../../images/reference.js';
import { tagImage } from '../../images/tag.js';
import { defineCommand } from '../command.js';
import { withStore } from '../image-context.js';

export const command = defineCommand({
  name: 'tag',
  usage: 'tag SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]',
  summary: 'Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE',
  options: {},
  args: { min: 2, max: 2 },
  async run(_flags, operands) {
    const target = parseNormalizedReference(operands[1]!);
    if (target.digest !== undefined) {
      throw new MobyDickError('USAGE', 'refusing to create a tag with a digest reference', { subject: operands[1]! });
    }
    await withStore((store) => {
      const { image } = getImage(store, operands[0]!);
      tagImage(store, image.id, withDefaultTag(target));
    });
    return 0;
  },
});
