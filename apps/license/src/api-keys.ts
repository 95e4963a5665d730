// License API keys: `dsai_lk_<key id>_<secret>` (format and hashing in @dsai/api-keys).
import { apiKeyFormat } from "@dsai/api-keys";

export { secretMatches, type TNewApiKey } from "@dsai/api-keys";

export const LICENSE_KEYS = apiKeyFormat("dsai_lk_");
export const newApiKey = () => LICENSE_KEYS.create();
export const parseApiKey = (token: string) => LICENSE_KEYS.parse(token);
