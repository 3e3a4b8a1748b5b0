// Every served kind, in discovery order. Add a kind: write its file and list it here.
import type { ResourceDef } from '../types.js';
import { configMaps } from './configmap.js';
import { namespaces } from './namespace.js';

export const allResources: readonly ResourceDef[] = [namespaces, configMaps];
