/**
 * The stacks' names, one per stage: the diff role, the execution policy and the pipeline's
 * tools find a stage's stack by them, never by what an artifact says.
 */
export const logoutStackName = (stage: string) => `RinneAuthLogout-${stage}`;
export const pipelineStackName = (stage: string) => `RinneAuthPipeline-${stage}`;

/** Where a stage keeps what others find by name: its SSM parameters and its log groups. */
export const stagePath = (stage: string, name: string) => `/rinne/${stage}/auth/${name}`;
