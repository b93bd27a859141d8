import { SITE_ID_PATTERN } from '../../../shared/domain/identity.js';

/**
 * A default site id from the host name, so a technician who does not choose one
 * still gets something recognisable in HQ's list; a random suffix keeps two
 * laptops called "localhost" apart.
 */
export function defaultSiteId(hostname: string, randomSuffix: string): string {
  const base = hostname
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 48);
  const candidate = `${base || 'site'}-${randomSuffix}`;
  return SITE_ID_PATTERN.test(candidate) ? candidate : `site-${randomSuffix}`;
}
