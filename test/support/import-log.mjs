// `node --import ./import-log.mjs app.js`: appends the URL of every module the app resolves to the file
// named by $REDLINE_IMPORT_LOG, so a test can tell which packages a command loaded.
import { register } from 'node:module';

register(new URL('./import-log-hooks.mjs', import.meta.url));
