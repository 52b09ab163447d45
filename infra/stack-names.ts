/**
 * The stacks' names, one per stage: the diff role, the execution policy and the pipeline's
 * tools find a stage's stack by them, never by what an artifact says.
 */
export const logoutStackName = (stage: string) => `RinneAuthLogout-${stage}`;
export const pipelineStackName = (stage: string) => `RinneAuthPipeline-${stage}`;
