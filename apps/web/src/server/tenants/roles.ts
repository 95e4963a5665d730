// Roles of a tenant's members: members read, admins operate (configure, suspend, reactivate),
// owners also delete the tenant and manage members.
export type TRole = "owner" | "admin" | "member";
export const ROLE_RANK: Record<TRole, number> = { member: 1, admin: 2, owner: 3 };
