package io.batchgrid.protocol;

/**
 * The Azure Batch error codes batchgrid answers with, each with the HTTP status Azure pairs it with.
 * Entities reject commands with these codes; the API maps them to the wire unchanged.
 */
public enum ErrorCode {
  POOL_NOT_FOUND("PoolNotFound", 404),
  JOB_NOT_FOUND("JobNotFound", 404),
  TASK_NOT_FOUND("TaskNotFound", 404),
  NODE_NOT_FOUND("NodeNotFound", 404),
  JOB_SCHEDULE_NOT_FOUND("JobScheduleNotFound", 404),
  JOB_SCHEDULE_EXISTS("JobScheduleExists", 409),
  JOB_SCHEDULE_COMPLETED("JobScheduleCompleted", 409),
  FILE_NOT_FOUND("FileNotFound", 404),
  RESOURCE_NOT_FOUND("ResourceNotFound", 404),
  POOL_EXISTS("PoolExists", 409),
  JOB_EXISTS("JobExists", 409),
  TASK_EXISTS("TaskExists", 409),
  TASK_ID_SAME_AS_JOB_PREPARATION_TASK("TaskIdSameAsJobPreparationTask", 409),
  TASK_ID_SAME_AS_JOB_RELEASE_TASK("TaskIdSameAsJobReleaseTask", 409),
  JOB_PREPARATION_TASK_NOT_SPECIFIED("JobPreparationTaskNotSpecified", 409),
  POOL_BEING_DELETED("PoolBeingDeleted", 409),
  JOB_BEING_DELETED("JobBeingDeleted", 409),
  JOB_COMPLETED("JobCompleted", 409),
  JOB_BEING_TERMINATED("JobBeingTerminated", 409),
  JOB_NOT_ACTIVE("JobNotActive", 409),
  TASK_COMPLETED("TaskCompleted", 409),
  TASK_NOT_REACTIVATABLE("TaskNotFailed", 409),
  ACTIVE_JOB_AND_SCHEDULE_QUOTA_REACHED("ActiveJobAndScheduleQuotaReached", 409),
  INVALID_PROPERTY_VALUE("InvalidPropertyValue", 400),
  MISSING_REQUIRED_PROPERTY("MissingRequiredProperty", 400),
  INVALID_REQUEST_BODY("InvalidRequestBody", 400),
  INVALID_QUERY_PARAMETER_VALUE("InvalidQueryParameterValue", 400),
  MISSING_REQUIRED_QUERY_PARAMETER("MissingRequiredQueryParameter", 400),
  INVALID_HEADER_VALUE("InvalidHeaderValue", 400),
  UNSUPPORTED_API_VERSION("InvalidApiVersion", 400),
  REQUEST_BODY_TOO_LARGE("RequestBodyTooLarge", 413),
  TOO_MANY_TASKS("TooManyTasks", 400),
  TASK_DEPENDENCIES_NOT_SPECIFIED_ON_JOB("TaskDependenciesNotSpecifiedOnJob", 409),
  TASK_DEPENDENCY_LIST_TOO_LONG("TaskDependencyListTooLong", 400),
  /** A pool references an application package that does not exist (or an application without a default version). */
  INVALID_APPLICATION_PACKAGE_REFERENCES("InvalidApplicationPackageReferences", 409),
  /** The task's files are gone: its retention time passed. */
  TASK_FILES_UNAVAILABLE("TaskFilesUnavailable", 409),
  APPLICATION_NOT_FOUND("ApplicationNotFound", 404),
  APPLICATION_PACKAGE_NOT_FOUND("ApplicationPackageNotFound", 404),
  APPLICATION_PACKAGE_EXISTS("ApplicationPackageExists", 409),
  FEATURE_NOT_SUPPORTED("FeatureNotSupported", 400),
  AUTHENTICATION_FAILED("AuthenticationFailed", 403),
  AUTO_SCALING_FORMULA_SYNTAX_ERROR("AutoScalingFormulaSyntaxError", 400),
  AUTO_SCALING_FORMULA_TOO_LONG("AutoScalingFormulaTooLong", 400),
  AUTO_SCALE_NOT_ENABLED("AutoScaleNotEnabled", 409),
  AUTO_SCALE_ENABLED("AutoScaleEnabled", 409),
  UNSUPPORTED_HTTP_VERB("UnsupportedHttpVerb", 405),
  NODE_NOT_READY("NodeNotReady", 409),
  NODE_BEING_CREATED("NodeBeingCreated", 409),
  NODE_BEING_REBOOTED("NodeBeingRebooted", 409),
  NODE_BEING_REIMAGED("NodeBeingReimaged", 409),
  /** Deleting a directory that is not empty without {@code recursive}: Azure documents no code for it. */
  DIRECTORY_NOT_EMPTY("DirectoryNotEmpty", 409),
  CONDITION_NOT_MET("ConditionNotMet", 412),
  OPERATION_TIMED_OUT("OperationTimedOut", 500),
  SERVER_BUSY("ServerBusy", 503),
  INTERNAL_ERROR("InternalError", 500);

  private final String wireCode;
  private final int httpStatus;

  ErrorCode(String wireCode, int httpStatus) {
    this.wireCode = wireCode;
    this.httpStatus = httpStatus;
  }

  /** The code string as it appears in the error body's {@code code}. */
  public String wireCode() {
    return wireCode;
  }

  public int httpStatus() {
    return httpStatus;
  }
}
