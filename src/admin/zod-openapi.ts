/**
 * zod with `.openapi()`: the one place that extends it (zod-to-openapi needs it once, before any
 * schema of the route table names a component or a parameter). Admin modules import `z` from here.
 */
import { z } from 'zod';
import { extendZodWithOpenApi } from '@asteasolutions/zod-to-openapi';

extendZodWithOpenApi(z);

export { z };
