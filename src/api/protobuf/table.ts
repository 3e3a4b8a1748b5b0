// Protobuf field table for the Kubernetes kinds k8ts accepts as
// `application/vnd.kubernetes.protobuf` request bodies (and everything they contain).
//
// Facts, not code: field numbers, JSON names, Go pointer-ness and `omitempty` were read from
// kubectl 1.33's own type metadata (its embedded generated.proto descriptors and the
// `json:"..." protobuf:"..."` struct tags) and cross-checked against each other and upstream's
// k8s.io/api and k8s.io/apimachinery generated.proto files. Field numbers never change upstream
// (new fields only get new numbers), so the table also fits older and newer clients.
//
// Each message is one string of `number:jsonName:type` entries. A type is
//   string | bool | int32 | int64 | double | bytes         scalars (bytes are base64 in JSON)
//   time | microtime | duration | quantity | intorstring  Kubernetes special types
//   raw | fieldsv1                                         embedded JSON (RawExtension, FieldsV1)
//   stringlist                                             ExtraValue: { repeated string items = 1 }, JSON a list
//   Name | alias.Name                                      another message (same package if unqualified)
// wrapped as `[]T` (repeated) or `{T}` (map from string keys), and marked by suffixes
//   `*`  the Go field is a pointer: on the wire only when set, so a zero value is kept
//   `!`  no `omitempty`: a zero scalar still shows in JSON, and an unset pointer, list or map
//        shows as null (as Go prints nil)
// (an unmarked scalar is dropped from JSON when zero), or by a prefix
//   `^`  the Go field is embedded with `json:",inline"`: its fields are merged into the parent.

/** apiVersion -> package alias used in MESSAGES keys. */
export const PACKAGES: Readonly<Record<string, string>> = {
  v1: 'core',
  'apps/v1': 'apps',
  'batch/v1': 'batch',
  'rbac.authorization.k8s.io/v1': 'rbac',
  'scheduling.k8s.io/v1': 'scheduling',
  'policy/v1': 'policy',
  'authentication.k8s.io/v1': 'authentication',
  'networking.k8s.io/v1': 'networking',
  'autoscaling/v1': 'autoscaling',
  'autoscaling/v2': 'autoscalingv2',
  'authorization.k8s.io/v1': 'authorization',
  'certificates.k8s.io/v1': 'certificates',
  'coordination.k8s.io/v1': 'coordination',
  'meta.k8s.io/v1': 'meta',
};

/** Top-level kinds decodable from a request body, by package alias. */
export const KINDS: Readonly<Record<string, readonly string[]>> = {
  core: [
    'ConfigMap',
    'Secret',
    'Namespace',
    'Service',
    'ServiceAccount',
    'ResourceQuota',
    'Pod',
    'PodTemplate',
    'Binding',
    'Event',
    'Endpoints',
    'LimitRange',
    'PersistentVolumeClaim',
    'ReplicationController',
  ],
  apps: ['Deployment', 'ReplicaSet', 'StatefulSet', 'DaemonSet'],
  batch: ['Job', 'CronJob'],
  rbac: ['Role', 'RoleBinding', 'ClusterRole', 'ClusterRoleBinding'],
  scheduling: ['PriorityClass'],
  policy: ['PodDisruptionBudget', 'Eviction'],
  authentication: ['TokenRequest', 'SelfSubjectReview', 'TokenReview'],
  networking: ['Ingress'],
  autoscaling: ['Scale', 'HorizontalPodAutoscaler'],
  coordination: ['Lease'],
  meta: ['DeleteOptions', 'Status'],
  autoscalingv2: ['HorizontalPodAutoscaler'],
  authorization: [
    'SelfSubjectAccessReview',
    'SelfSubjectRulesReview',
    'SubjectAccessReview',
    'LocalSubjectAccessReview',
  ],
  certificates: ['CertificateSigningRequest'],
};

/** Kinds every API group version accepts (metav1 types registered into each group). */
export const GROUPLESS_KINDS: Readonly<Record<string, string>> = {
  DeleteOptions: 'meta.DeleteOptions',
  Status: 'meta.Status',
};

export const MESSAGES: Readonly<Record<string, string>> = {
  // k8s.io/api/apps/v1
  'apps.DaemonSet': '1:metadata:meta.ObjectMeta 2:spec:DaemonSetSpec 3:status:DaemonSetStatus',
  'apps.DaemonSetCondition':
    '1:type:string! 2:status:string! 3:lastTransitionTime:time 4:reason:string 5:message:string',
  'apps.DaemonSetSpec':
    '1:selector:meta.LabelSelector*! 2:template:core.PodTemplateSpec 3:updateStrategy:DaemonSetUpdateStrategy 4:minReadySeconds:int32 6:revisionHistoryLimit:int32*',
  'apps.DaemonSetStatus':
    '1:currentNumberScheduled:int32! 2:numberMisscheduled:int32! 3:desiredNumberScheduled:int32! 4:numberReady:int32! 5:observedGeneration:int64 6:updatedNumberScheduled:int32 7:numberAvailable:int32 8:numberUnavailable:int32 9:collisionCount:int32* 10:conditions:[]DaemonSetCondition',
  'apps.DaemonSetUpdateStrategy': '1:type:string 2:rollingUpdate:RollingUpdateDaemonSet*',
  'apps.Deployment': '1:metadata:meta.ObjectMeta 2:spec:DeploymentSpec 3:status:DeploymentStatus',
  'apps.DeploymentCondition':
    '1:type:string! 2:status:string! 4:reason:string 5:message:string 6:lastUpdateTime:time 7:lastTransitionTime:time',
  'apps.DeploymentSpec':
    '1:replicas:int32* 2:selector:meta.LabelSelector*! 3:template:core.PodTemplateSpec 4:strategy:DeploymentStrategy 5:minReadySeconds:int32 6:revisionHistoryLimit:int32* 7:paused:bool 9:progressDeadlineSeconds:int32*',
  'apps.DeploymentStatus':
    '1:observedGeneration:int64 2:replicas:int32 3:updatedReplicas:int32 4:availableReplicas:int32 5:unavailableReplicas:int32 6:conditions:[]DeploymentCondition 7:readyReplicas:int32 8:collisionCount:int32* 9:terminatingReplicas:int32*',
  'apps.DeploymentStrategy': '1:type:string 2:rollingUpdate:RollingUpdateDeployment*',
  'apps.ReplicaSet': '1:metadata:meta.ObjectMeta 2:spec:ReplicaSetSpec 3:status:ReplicaSetStatus',
  'apps.ReplicaSetCondition':
    '1:type:string! 2:status:string! 3:lastTransitionTime:time 4:reason:string 5:message:string',
  'apps.ReplicaSetSpec':
    '1:replicas:int32* 2:selector:meta.LabelSelector*! 3:template:core.PodTemplateSpec 4:minReadySeconds:int32',
  'apps.ReplicaSetStatus':
    '1:replicas:int32! 2:fullyLabeledReplicas:int32 3:observedGeneration:int64 4:readyReplicas:int32 5:availableReplicas:int32 6:conditions:[]ReplicaSetCondition 7:terminatingReplicas:int32*',
  'apps.RollingUpdateDaemonSet': '1:maxUnavailable:intorstring* 2:maxSurge:intorstring*',
  'apps.RollingUpdateDeployment': '1:maxUnavailable:intorstring* 2:maxSurge:intorstring*',
  'apps.RollingUpdateStatefulSetStrategy': '1:partition:int32* 2:maxUnavailable:intorstring*',
  'apps.StatefulSet': '1:metadata:meta.ObjectMeta 2:spec:StatefulSetSpec 3:status:StatefulSetStatus',
  'apps.StatefulSetCondition':
    '1:type:string! 2:status:string! 3:lastTransitionTime:time 4:reason:string 5:message:string',
  'apps.StatefulSetOrdinals': '1:start:int32!',
  'apps.StatefulSetPersistentVolumeClaimRetentionPolicy': '1:whenDeleted:string 2:whenScaled:string',
  'apps.StatefulSetSpec':
    '1:replicas:int32* 2:selector:meta.LabelSelector*! 3:template:core.PodTemplateSpec 4:volumeClaimTemplates:[]core.PersistentVolumeClaim 5:serviceName:string! 6:podManagementPolicy:string 7:updateStrategy:StatefulSetUpdateStrategy 8:revisionHistoryLimit:int32* 9:minReadySeconds:int32 10:persistentVolumeClaimRetentionPolicy:StatefulSetPersistentVolumeClaimRetentionPolicy* 11:ordinals:StatefulSetOrdinals*',
  'apps.StatefulSetStatus':
    '1:observedGeneration:int64 2:replicas:int32! 3:readyReplicas:int32 4:currentReplicas:int32 5:updatedReplicas:int32 6:currentRevision:string 7:updateRevision:string 9:collisionCount:int32* 10:conditions:[]StatefulSetCondition 11:availableReplicas:int32!',
  'apps.StatefulSetUpdateStrategy': '1:type:string 2:rollingUpdate:RollingUpdateStatefulSetStrategy*',
  // k8s.io/api/authentication/v1
  'authentication.BoundObjectReference': '1:kind:string 2:apiVersion:string 3:name:string 4:uid:string',
  'authentication.SelfSubjectReview': '1:metadata:meta.ObjectMeta 2:status:SelfSubjectReviewStatus',
  'authentication.SelfSubjectReviewStatus': '1:userInfo:UserInfo',
  'authentication.TokenRequest':
    '1:metadata:meta.ObjectMeta 2:spec:TokenRequestSpec 3:status:TokenRequestStatus',
  'authentication.TokenRequestSpec':
    '1:audiences:[]string! 3:boundObjectRef:BoundObjectReference*! 4:expirationSeconds:int64*!',
  'authentication.TokenRequestStatus': '1:token:string! 2:expirationTimestamp:time',
  'authentication.TokenReview':
    '1:metadata:meta.ObjectMeta 2:spec:TokenReviewSpec 3:status:TokenReviewStatus',
  'authentication.TokenReviewSpec': '1:token:string 2:audiences:[]string',
  'authentication.TokenReviewStatus':
    '1:authenticated:bool 2:user:UserInfo 3:error:string 4:audiences:[]string',
  'authentication.UserInfo': '1:username:string 2:uid:string 3:groups:[]string 4:extra:{stringlist}',
  // k8s.io/api/authorization/v1
  'authorization.FieldSelectorAttributes':
    '1:rawSelector:string 2:requirements:[]meta.FieldSelectorRequirement',
  'authorization.LabelSelectorAttributes':
    '1:rawSelector:string 2:requirements:[]meta.LabelSelectorRequirement',
  'authorization.LocalSubjectAccessReview':
    '1:metadata:meta.ObjectMeta 2:spec:SubjectAccessReviewSpec 3:status:SubjectAccessReviewStatus',
  'authorization.NonResourceAttributes': '1:path:string 2:verb:string',
  'authorization.NonResourceRule': '1:verbs:[]string! 2:nonResourceURLs:[]string',
  'authorization.ResourceAttributes':
    '1:namespace:string 2:verb:string 3:group:string 4:version:string 5:resource:string 6:subresource:string 7:name:string 8:fieldSelector:FieldSelectorAttributes* 9:labelSelector:LabelSelectorAttributes*',
  'authorization.ResourceRule':
    '1:verbs:[]string! 2:apiGroups:[]string 3:resources:[]string 4:resourceNames:[]string',
  'authorization.SelfSubjectAccessReview':
    '1:metadata:meta.ObjectMeta 2:spec:SelfSubjectAccessReviewSpec 3:status:SubjectAccessReviewStatus',
  'authorization.SelfSubjectAccessReviewSpec':
    '1:resourceAttributes:ResourceAttributes* 2:nonResourceAttributes:NonResourceAttributes*',
  'authorization.SelfSubjectRulesReview':
    '1:metadata:meta.ObjectMeta 2:spec:SelfSubjectRulesReviewSpec 3:status:SubjectRulesReviewStatus',
  'authorization.SelfSubjectRulesReviewSpec': '1:namespace:string',
  'authorization.SubjectAccessReview':
    '1:metadata:meta.ObjectMeta 2:spec:SubjectAccessReviewSpec 3:status:SubjectAccessReviewStatus',
  'authorization.SubjectAccessReviewSpec':
    '1:resourceAttributes:ResourceAttributes* 2:nonResourceAttributes:NonResourceAttributes* 3:user:string 4:groups:[]string 5:extra:{stringlist} 6:uid:string',
  'authorization.SubjectAccessReviewStatus':
    '1:allowed:bool! 2:reason:string 3:evaluationError:string 4:denied:bool',
  'authorization.SubjectRulesReviewStatus':
    '1:resourceRules:[]ResourceRule! 2:nonResourceRules:[]NonResourceRule! 3:incomplete:bool! 4:evaluationError:string',
  // k8s.io/api/autoscaling/v1
  'autoscaling.CrossVersionObjectReference': '1:kind:string! 2:name:string! 3:apiVersion:string',
  'autoscaling.HorizontalPodAutoscaler':
    '1:metadata:meta.ObjectMeta 2:spec:HorizontalPodAutoscalerSpec 3:status:HorizontalPodAutoscalerStatus',
  'autoscaling.HorizontalPodAutoscalerSpec':
    '1:scaleTargetRef:CrossVersionObjectReference 2:minReplicas:int32* 3:maxReplicas:int32! 4:targetCPUUtilizationPercentage:int32*',
  'autoscaling.HorizontalPodAutoscalerStatus':
    '1:observedGeneration:int64* 2:lastScaleTime:time* 3:currentReplicas:int32! 4:desiredReplicas:int32! 5:currentCPUUtilizationPercentage:int32*',
  'autoscaling.Scale': '1:metadata:meta.ObjectMeta 2:spec:ScaleSpec 3:status:ScaleStatus',
  'autoscaling.ScaleSpec': '1:replicas:int32',
  'autoscaling.ScaleStatus': '1:replicas:int32! 2:selector:string',
  // k8s.io/api/autoscaling/v2
  'autoscalingv2.ContainerResourceMetricSource': '1:name:string! 2:target:MetricTarget 3:container:string!',
  'autoscalingv2.ContainerResourceMetricStatus':
    '1:name:string! 2:current:MetricValueStatus 3:container:string!',
  'autoscalingv2.CrossVersionObjectReference': '1:kind:string! 2:name:string! 3:apiVersion:string',
  'autoscalingv2.ExternalMetricSource': '1:metric:MetricIdentifier 2:target:MetricTarget',
  'autoscalingv2.ExternalMetricStatus': '1:metric:MetricIdentifier 2:current:MetricValueStatus',
  'autoscalingv2.HorizontalPodAutoscaler':
    '1:metadata:meta.ObjectMeta 2:spec:HorizontalPodAutoscalerSpec 3:status:HorizontalPodAutoscalerStatus',
  'autoscalingv2.HorizontalPodAutoscalerBehavior': '1:scaleUp:HPAScalingRules* 2:scaleDown:HPAScalingRules*',
  'autoscalingv2.HorizontalPodAutoscalerCondition':
    '1:type:string! 2:status:string! 3:lastTransitionTime:time 4:reason:string 5:message:string',
  'autoscalingv2.HorizontalPodAutoscalerSpec':
    '1:scaleTargetRef:CrossVersionObjectReference 2:minReplicas:int32* 3:maxReplicas:int32! 4:metrics:[]MetricSpec 5:behavior:HorizontalPodAutoscalerBehavior*',
  'autoscalingv2.HorizontalPodAutoscalerStatus':
    '1:observedGeneration:int64* 2:lastScaleTime:time* 3:currentReplicas:int32 4:desiredReplicas:int32! 5:currentMetrics:[]MetricStatus! 6:conditions:[]HorizontalPodAutoscalerCondition',
  'autoscalingv2.HPAScalingPolicy': '1:type:string! 2:value:int32! 3:periodSeconds:int32!',
  'autoscalingv2.HPAScalingRules':
    '1:selectPolicy:string* 2:policies:[]HPAScalingPolicy 3:stabilizationWindowSeconds:int32* 4:tolerance:quantity*',
  'autoscalingv2.MetricIdentifier': '1:name:string! 2:selector:meta.LabelSelector*',
  'autoscalingv2.MetricSpec':
    '1:type:string! 2:object:ObjectMetricSource* 3:pods:PodsMetricSource* 4:resource:ResourceMetricSource* 5:external:ExternalMetricSource* 7:containerResource:ContainerResourceMetricSource*',
  'autoscalingv2.MetricStatus':
    '1:type:string! 2:object:ObjectMetricStatus* 3:pods:PodsMetricStatus* 4:resource:ResourceMetricStatus* 5:external:ExternalMetricStatus* 7:containerResource:ContainerResourceMetricStatus*',
  'autoscalingv2.MetricTarget':
    '1:type:string! 2:value:quantity* 3:averageValue:quantity* 4:averageUtilization:int32*',
  'autoscalingv2.MetricValueStatus': '1:value:quantity* 2:averageValue:quantity* 3:averageUtilization:int32*',
  'autoscalingv2.ObjectMetricSource':
    '1:describedObject:CrossVersionObjectReference 2:target:MetricTarget 3:metric:MetricIdentifier',
  'autoscalingv2.ObjectMetricStatus':
    '1:metric:MetricIdentifier 2:current:MetricValueStatus 3:describedObject:CrossVersionObjectReference',
  'autoscalingv2.PodsMetricSource': '1:metric:MetricIdentifier 2:target:MetricTarget',
  'autoscalingv2.PodsMetricStatus': '1:metric:MetricIdentifier 2:current:MetricValueStatus',
  'autoscalingv2.ResourceMetricSource': '1:name:string! 2:target:MetricTarget',
  'autoscalingv2.ResourceMetricStatus': '1:name:string! 2:current:MetricValueStatus',
  // k8s.io/api/batch/v1
  'batch.CronJob': '1:metadata:meta.ObjectMeta 2:spec:CronJobSpec 3:status:CronJobStatus',
  'batch.CronJobSpec':
    '1:schedule:string! 2:startingDeadlineSeconds:int64* 3:concurrencyPolicy:string 4:suspend:bool* 5:jobTemplate:JobTemplateSpec 6:successfulJobsHistoryLimit:int32* 7:failedJobsHistoryLimit:int32* 8:timeZone:string*',
  'batch.CronJobStatus':
    '1:active:[]core.ObjectReference 4:lastScheduleTime:time* 5:lastSuccessfulTime:time*',
  'batch.Job': '1:metadata:meta.ObjectMeta 2:spec:JobSpec 3:status:JobStatus',
  'batch.JobCondition':
    '1:type:string! 2:status:string! 3:lastProbeTime:time 4:lastTransitionTime:time 5:reason:string 6:message:string',
  'batch.JobSpec':
    '1:parallelism:int32* 2:completions:int32* 3:activeDeadlineSeconds:int64* 4:selector:meta.LabelSelector* 5:manualSelector:bool* 6:template:core.PodTemplateSpec 7:backoffLimit:int32* 8:ttlSecondsAfterFinished:int32* 9:completionMode:string* 10:suspend:bool* 11:podFailurePolicy:PodFailurePolicy* 12:backoffLimitPerIndex:int32* 13:maxFailedIndexes:int32* 14:podReplacementPolicy:string* 15:managedBy:string* 16:successPolicy:SuccessPolicy*',
  'batch.JobStatus':
    '1:conditions:[]JobCondition 2:startTime:time* 3:completionTime:time* 4:active:int32 5:succeeded:int32 6:failed:int32 7:completedIndexes:string 8:uncountedTerminatedPods:UncountedTerminatedPods* 9:ready:int32* 10:failedIndexes:string* 11:terminating:int32*',
  'batch.JobTemplateSpec': '1:metadata:meta.ObjectMeta 2:spec:JobSpec',
  'batch.PodFailurePolicy': '1:rules:[]PodFailurePolicyRule!',
  'batch.PodFailurePolicyOnExitCodesRequirement':
    '1:containerName:string* 2:operator:string! 3:values:[]int32!',
  'batch.PodFailurePolicyOnPodConditionsPattern': '1:type:string! 2:status:string!',
  'batch.PodFailurePolicyRule':
    '1:action:string! 2:onExitCodes:PodFailurePolicyOnExitCodesRequirement* 3:onPodConditions:[]PodFailurePolicyOnPodConditionsPattern',
  'batch.SuccessPolicy': '1:rules:[]SuccessPolicyRule!',
  'batch.SuccessPolicyRule': '1:succeededIndexes:string* 2:succeededCount:int32*',
  'batch.UncountedTerminatedPods': '1:succeeded:[]string 2:failed:[]string',
  // k8s.io/api/certificates/v1
  'certificates.CertificateSigningRequest':
    '1:metadata:meta.ObjectMeta 2:spec:CertificateSigningRequestSpec 3:status:CertificateSigningRequestStatus',
  'certificates.CertificateSigningRequestCondition':
    '1:type:string! 2:reason:string 3:message:string 4:lastUpdateTime:time 5:lastTransitionTime:time 6:status:string!',
  'certificates.CertificateSigningRequestSpec':
    '1:request:bytes! 2:username:string 3:uid:string 4:groups:[]string 5:usages:[]string 6:extra:{stringlist} 7:signerName:string! 8:expirationSeconds:int32*',
  'certificates.CertificateSigningRequestStatus':
    '1:conditions:[]CertificateSigningRequestCondition 2:certificate:bytes',
  // k8s.io/api/coordination/v1
  'coordination.Lease': '1:metadata:meta.ObjectMeta 2:spec:LeaseSpec',
  'coordination.LeaseSpec':
    '1:holderIdentity:string* 2:leaseDurationSeconds:int32* 3:acquireTime:microtime* 4:renewTime:microtime* 5:leaseTransitions:int32* 6:strategy:string* 7:preferredHolder:string*',
  // k8s.io/api/core/v1
  'core.Affinity':
    '1:nodeAffinity:NodeAffinity* 2:podAffinity:PodAffinity* 3:podAntiAffinity:PodAntiAffinity*',
  'core.AppArmorProfile': '1:type:string! 2:localhostProfile:string*',
  'core.AWSElasticBlockStoreVolumeSource':
    '1:volumeID:string! 2:fsType:string 3:partition:int32 4:readOnly:bool',
  'core.AzureDiskVolumeSource':
    '1:diskName:string! 2:diskURI:string! 3:cachingMode:string* 4:fsType:string* 5:readOnly:bool* 6:kind:string*',
  'core.AzureFileVolumeSource': '1:secretName:string! 2:shareName:string! 3:readOnly:bool',
  'core.Binding': '1:metadata:meta.ObjectMeta 2:target:ObjectReference',
  'core.Capabilities': '1:add:[]string 2:drop:[]string',
  'core.CephFSVolumeSource':
    '1:monitors:[]string! 2:path:string 3:user:string 4:secretFile:string 5:secretRef:LocalObjectReference* 6:readOnly:bool',
  'core.CinderVolumeSource':
    '1:volumeID:string! 2:fsType:string 3:readOnly:bool 4:secretRef:LocalObjectReference*',
  'core.ClientIPConfig': '1:timeoutSeconds:int32*',
  'core.ClusterTrustBundleProjection':
    '1:name:string* 2:signerName:string* 3:labelSelector:meta.LabelSelector* 4:path:string! 5:optional:bool*',
  'core.ConfigMap': '1:metadata:meta.ObjectMeta 2:data:{string} 3:binaryData:{bytes} 4:immutable:bool*',
  'core.ConfigMapEnvSource': '1:localObjectReference:^LocalObjectReference 2:optional:bool*',
  'core.ConfigMapKeySelector': '1:localObjectReference:^LocalObjectReference 2:key:string! 3:optional:bool*',
  'core.ConfigMapProjection':
    '1:localObjectReference:^LocalObjectReference 2:items:[]KeyToPath 4:optional:bool*',
  'core.ConfigMapVolumeSource':
    '1:localObjectReference:^LocalObjectReference 2:items:[]KeyToPath 3:defaultMode:int32* 4:optional:bool*',
  'core.Container':
    '1:name:string! 2:image:string 3:command:[]string 4:args:[]string 5:workingDir:string 6:ports:[]ContainerPort 7:env:[]EnvVar 8:resources:ResourceRequirements 9:volumeMounts:[]VolumeMount 10:livenessProbe:Probe* 11:readinessProbe:Probe* 12:lifecycle:Lifecycle* 13:terminationMessagePath:string 14:imagePullPolicy:string 15:securityContext:SecurityContext* 16:stdin:bool 17:stdinOnce:bool 18:tty:bool 19:envFrom:[]EnvFromSource 20:terminationMessagePolicy:string 21:volumeDevices:[]VolumeDevice 22:startupProbe:Probe* 23:resizePolicy:[]ContainerResizePolicy 24:restartPolicy:string*',
  'core.ContainerPort':
    '1:name:string 2:hostPort:int32 3:containerPort:int32! 4:protocol:string 5:hostIP:string',
  'core.ContainerResizePolicy': '1:resourceName:string! 2:restartPolicy:string!',
  'core.ContainerState':
    '1:waiting:ContainerStateWaiting* 2:running:ContainerStateRunning* 3:terminated:ContainerStateTerminated*',
  'core.ContainerStateRunning': '1:startedAt:time',
  'core.ContainerStateTerminated':
    '1:exitCode:int32! 2:signal:int32 3:reason:string 4:message:string 5:startedAt:time 6:finishedAt:time 7:containerID:string',
  'core.ContainerStateWaiting': '1:reason:string 2:message:string',
  'core.ContainerStatus':
    '1:name:string! 2:state:ContainerState 3:lastState:ContainerState 4:ready:bool! 5:restartCount:int32! 6:image:string! 7:imageID:string! 8:containerID:string 9:started:bool* 10:allocatedResources:{quantity} 11:resources:ResourceRequirements* 12:volumeMounts:[]VolumeMountStatus 13:user:ContainerUser* 14:allocatedResourcesStatus:[]ResourceStatus 15:stopSignal:string*',
  'core.ContainerUser': '1:linux:LinuxContainerUser*',
  'core.CSIVolumeSource':
    '1:driver:string! 2:readOnly:bool* 3:fsType:string* 4:volumeAttributes:{string} 5:nodePublishSecretRef:LocalObjectReference*',
  'core.DownwardAPIProjection': '1:items:[]DownwardAPIVolumeFile',
  'core.DownwardAPIVolumeFile':
    '1:path:string! 2:fieldRef:ObjectFieldSelector* 3:resourceFieldRef:ResourceFieldSelector* 4:mode:int32*',
  'core.DownwardAPIVolumeSource': '1:items:[]DownwardAPIVolumeFile 2:defaultMode:int32*',
  'core.EmptyDirVolumeSource': '1:medium:string 2:sizeLimit:quantity*',
  'core.EndpointAddress': '1:ip:string! 2:targetRef:ObjectReference* 3:hostname:string 4:nodeName:string*',
  'core.EndpointPort': '1:name:string 2:port:int32! 3:protocol:string 4:appProtocol:string*',
  'core.Endpoints': '1:metadata:meta.ObjectMeta 2:subsets:[]EndpointSubset',
  'core.EndpointSubset':
    '1:addresses:[]EndpointAddress 2:notReadyAddresses:[]EndpointAddress 3:ports:[]EndpointPort',
  'core.EnvFromSource': '1:prefix:string 2:configMapRef:ConfigMapEnvSource* 3:secretRef:SecretEnvSource*',
  'core.EnvVar': '1:name:string! 2:value:string 3:valueFrom:EnvVarSource*',
  'core.EnvVarSource':
    '1:fieldRef:ObjectFieldSelector* 2:resourceFieldRef:ResourceFieldSelector* 3:configMapKeyRef:ConfigMapKeySelector* 4:secretKeyRef:SecretKeySelector*',
  'core.EphemeralContainer':
    '1:EphemeralContainerCommon:^EphemeralContainerCommon 2:targetContainerName:string',
  'core.EphemeralContainerCommon':
    '1:name:string! 2:image:string 3:command:[]string 4:args:[]string 5:workingDir:string 6:ports:[]ContainerPort 7:env:[]EnvVar 8:resources:ResourceRequirements 9:volumeMounts:[]VolumeMount 10:livenessProbe:Probe* 11:readinessProbe:Probe* 12:lifecycle:Lifecycle* 13:terminationMessagePath:string 14:imagePullPolicy:string 15:securityContext:SecurityContext* 16:stdin:bool 17:stdinOnce:bool 18:tty:bool 19:envFrom:[]EnvFromSource 20:terminationMessagePolicy:string 21:volumeDevices:[]VolumeDevice 22:startupProbe:Probe* 23:resizePolicy:[]ContainerResizePolicy 24:restartPolicy:string*',
  'core.EphemeralVolumeSource': '1:volumeClaimTemplate:PersistentVolumeClaimTemplate*',
  'core.Event':
    '1:metadata:meta.ObjectMeta 2:involvedObject:ObjectReference 3:reason:string 4:message:string 5:source:EventSource 6:firstTimestamp:time 7:lastTimestamp:time 8:count:int32 9:type:string 10:eventTime:microtime 11:series:EventSeries* 12:action:string 13:related:ObjectReference* 14:reportingComponent:string! 15:reportingInstance:string!',
  'core.EventSeries': '1:count:int32 2:lastObservedTime:microtime',
  'core.EventSource': '1:component:string 2:host:string',
  'core.ExecAction': '1:command:[]string',
  'core.FCVolumeSource':
    '1:targetWWNs:[]string 2:lun:int32* 3:fsType:string 4:readOnly:bool 5:wwids:[]string',
  'core.FlexVolumeSource':
    '1:driver:string! 2:fsType:string 3:secretRef:LocalObjectReference* 4:readOnly:bool 5:options:{string}',
  'core.FlockerVolumeSource': '1:datasetName:string 2:datasetUUID:string',
  'core.GCEPersistentDiskVolumeSource': '1:pdName:string! 2:fsType:string 3:partition:int32 4:readOnly:bool',
  'core.GitRepoVolumeSource': '1:repository:string! 2:revision:string 3:directory:string',
  'core.GlusterfsVolumeSource': '1:endpoints:string! 2:path:string! 3:readOnly:bool',
  'core.GRPCAction': '1:port:int32! 2:service:string*!',
  'core.HostAlias': '1:ip:string! 2:hostnames:[]string',
  'core.HostIP': '1:ip:string!',
  'core.HostPathVolumeSource': '1:path:string! 2:type:string*',
  'core.HTTPGetAction':
    '1:path:string 2:port:intorstring 3:host:string 4:scheme:string 5:httpHeaders:[]HTTPHeader',
  'core.HTTPHeader': '1:name:string! 2:value:string!',
  'core.ImageVolumeSource': '1:reference:string 2:pullPolicy:string',
  'core.ISCSIVolumeSource':
    '1:targetPortal:string! 2:iqn:string! 3:lun:int32! 4:iscsiInterface:string 5:fsType:string 6:readOnly:bool 7:portals:[]string 8:chapAuthDiscovery:bool 10:secretRef:LocalObjectReference* 11:chapAuthSession:bool 12:initiatorName:string*',
  'core.KeyToPath': '1:key:string! 2:path:string! 3:mode:int32*',
  'core.Lifecycle': '1:postStart:LifecycleHandler* 2:preStop:LifecycleHandler* 3:stopSignal:string*',
  'core.LifecycleHandler':
    '1:exec:ExecAction* 2:httpGet:HTTPGetAction* 3:tcpSocket:TCPSocketAction* 4:sleep:SleepAction*',
  'core.LimitRange': '1:metadata:meta.ObjectMeta 2:spec:LimitRangeSpec',
  'core.LimitRangeItem':
    '1:type:string! 2:max:{quantity} 3:min:{quantity} 4:default:{quantity} 5:defaultRequest:{quantity} 6:maxLimitRequestRatio:{quantity}',
  'core.LimitRangeSpec': '1:limits:[]LimitRangeItem!',
  'core.LinuxContainerUser': '1:uid:int64! 2:gid:int64! 3:supplementalGroups:[]int64',
  'core.LoadBalancerIngress': '1:ip:string 2:hostname:string 3:ipMode:string* 4:ports:[]PortStatus',
  'core.LoadBalancerStatus': '1:ingress:[]LoadBalancerIngress',
  'core.LocalObjectReference': '1:name:string',
  'core.ModifyVolumeStatus': '1:targetVolumeAttributesClassName:string 2:status:string!',
  'core.Namespace': '1:metadata:meta.ObjectMeta 2:spec:NamespaceSpec 3:status:NamespaceStatus',
  'core.NamespaceCondition':
    '1:type:string! 2:status:string! 4:lastTransitionTime:time 5:reason:string 6:message:string',
  'core.NamespaceSpec': '1:finalizers:[]string',
  'core.NamespaceStatus': '1:phase:string 2:conditions:[]NamespaceCondition',
  'core.NFSVolumeSource': '1:server:string! 2:path:string! 3:readOnly:bool',
  'core.NodeAffinity':
    '1:requiredDuringSchedulingIgnoredDuringExecution:NodeSelector* 2:preferredDuringSchedulingIgnoredDuringExecution:[]PreferredSchedulingTerm',
  'core.NodeSelector': '1:nodeSelectorTerms:[]NodeSelectorTerm!',
  'core.NodeSelectorRequirement': '1:key:string! 2:operator:string! 3:values:[]string',
  'core.NodeSelectorTerm':
    '1:matchExpressions:[]NodeSelectorRequirement 2:matchFields:[]NodeSelectorRequirement',
  'core.ObjectFieldSelector': '1:apiVersion:string 2:fieldPath:string!',
  'core.ObjectReference':
    '1:kind:string 2:namespace:string 3:name:string 4:uid:string 5:apiVersion:string 6:resourceVersion:string 7:fieldPath:string',
  'core.PersistentVolumeClaim':
    '1:metadata:meta.ObjectMeta 2:spec:PersistentVolumeClaimSpec 3:status:PersistentVolumeClaimStatus',
  'core.PersistentVolumeClaimCondition':
    '1:type:string! 2:status:string! 3:lastProbeTime:time 4:lastTransitionTime:time 5:reason:string 6:message:string',
  'core.PersistentVolumeClaimSpec':
    '1:accessModes:[]string 2:resources:VolumeResourceRequirements 3:volumeName:string 4:selector:meta.LabelSelector* 5:storageClassName:string* 6:volumeMode:string* 7:dataSource:TypedLocalObjectReference* 8:dataSourceRef:TypedObjectReference* 9:volumeAttributesClassName:string*',
  'core.PersistentVolumeClaimStatus':
    '1:phase:string 2:accessModes:[]string 3:capacity:{quantity} 4:conditions:[]PersistentVolumeClaimCondition 5:allocatedResources:{quantity} 7:allocatedResourceStatuses:{string} 8:currentVolumeAttributesClassName:string* 9:modifyVolumeStatus:ModifyVolumeStatus*',
  'core.PersistentVolumeClaimTemplate': '1:metadata:meta.ObjectMeta 2:spec:PersistentVolumeClaimSpec',
  'core.PersistentVolumeClaimVolumeSource': '1:claimName:string! 2:readOnly:bool',
  'core.PhotonPersistentDiskVolumeSource': '1:pdID:string! 2:fsType:string',
  'core.Pod': '1:metadata:meta.ObjectMeta 2:spec:PodSpec 3:status:PodStatus',
  'core.PodAffinity':
    '1:requiredDuringSchedulingIgnoredDuringExecution:[]PodAffinityTerm 2:preferredDuringSchedulingIgnoredDuringExecution:[]WeightedPodAffinityTerm',
  'core.PodAffinityTerm':
    '1:labelSelector:meta.LabelSelector* 2:namespaces:[]string 3:topologyKey:string! 4:namespaceSelector:meta.LabelSelector* 5:matchLabelKeys:[]string 6:mismatchLabelKeys:[]string',
  'core.PodAntiAffinity':
    '1:requiredDuringSchedulingIgnoredDuringExecution:[]PodAffinityTerm 2:preferredDuringSchedulingIgnoredDuringExecution:[]WeightedPodAffinityTerm',
  'core.PodCondition':
    '1:type:string! 2:status:string! 3:lastProbeTime:time 4:lastTransitionTime:time 5:reason:string 6:message:string 7:observedGeneration:int64',
  'core.PodDNSConfig': '1:nameservers:[]string 2:searches:[]string 3:options:[]PodDNSConfigOption',
  'core.PodDNSConfigOption': '1:name:string 2:value:string*',
  'core.PodIP': '1:ip:string!',
  'core.PodOS': '1:name:string!',
  'core.PodReadinessGate': '1:conditionType:string!',
  'core.PodResourceClaim': '1:name:string! 3:resourceClaimName:string* 4:resourceClaimTemplateName:string*',
  'core.PodResourceClaimStatus': '1:name:string! 2:resourceClaimName:string*',
  'core.PodSchedulingGate': '1:name:string!',
  'core.PodSecurityContext':
    '1:seLinuxOptions:SELinuxOptions* 2:runAsUser:int64* 3:runAsNonRoot:bool* 4:supplementalGroups:[]int64 5:fsGroup:int64* 6:runAsGroup:int64* 7:sysctls:[]Sysctl 8:windowsOptions:WindowsSecurityContextOptions* 9:fsGroupChangePolicy:string* 10:seccompProfile:SeccompProfile* 11:appArmorProfile:AppArmorProfile* 12:supplementalGroupsPolicy:string* 13:seLinuxChangePolicy:string*',
  'core.PodSpec':
    '1:volumes:[]Volume 2:containers:[]Container! 3:restartPolicy:string 4:terminationGracePeriodSeconds:int64* 5:activeDeadlineSeconds:int64* 6:dnsPolicy:string 7:nodeSelector:{string} 8:serviceAccountName:string 9:serviceAccount:string 10:nodeName:string 11:hostNetwork:bool 12:hostPID:bool 13:hostIPC:bool 14:securityContext:PodSecurityContext* 15:imagePullSecrets:[]LocalObjectReference 16:hostname:string 17:subdomain:string 18:affinity:Affinity* 19:schedulerName:string 20:initContainers:[]Container 21:automountServiceAccountToken:bool* 22:tolerations:[]Toleration 23:hostAliases:[]HostAlias 24:priorityClassName:string 25:priority:int32* 26:dnsConfig:PodDNSConfig* 27:shareProcessNamespace:bool* 28:readinessGates:[]PodReadinessGate 29:runtimeClassName:string* 30:enableServiceLinks:bool* 31:preemptionPolicy:string* 32:overhead:{quantity} 33:topologySpreadConstraints:[]TopologySpreadConstraint 34:ephemeralContainers:[]EphemeralContainer 35:setHostnameAsFQDN:bool* 36:os:PodOS* 37:hostUsers:bool* 38:schedulingGates:[]PodSchedulingGate 39:resourceClaims:[]PodResourceClaim 40:resources:ResourceRequirements*',
  'core.PodStatus':
    '1:phase:string 2:conditions:[]PodCondition 3:message:string 4:reason:string 5:hostIP:string 6:podIP:string 7:startTime:time* 8:containerStatuses:[]ContainerStatus 9:qosClass:string 10:initContainerStatuses:[]ContainerStatus 11:nominatedNodeName:string 12:podIPs:[]PodIP 13:ephemeralContainerStatuses:[]ContainerStatus 14:resize:string 15:resourceClaimStatuses:[]PodResourceClaimStatus 16:hostIPs:[]HostIP 17:observedGeneration:int64',
  'core.PodTemplate': '1:metadata:meta.ObjectMeta 2:template:PodTemplateSpec',
  'core.PodTemplateSpec': '1:metadata:meta.ObjectMeta 2:spec:PodSpec',
  'core.PortStatus': '1:port:int32! 2:protocol:string! 3:error:string*',
  'core.PortworxVolumeSource': '1:volumeID:string! 2:fsType:string 3:readOnly:bool',
  'core.PreferredSchedulingTerm': '1:weight:int32! 2:preference:NodeSelectorTerm',
  'core.Probe':
    '1:handler:^ProbeHandler 2:initialDelaySeconds:int32 3:timeoutSeconds:int32 4:periodSeconds:int32 5:successThreshold:int32 6:failureThreshold:int32 7:terminationGracePeriodSeconds:int64*',
  'core.ProbeHandler':
    '1:exec:ExecAction* 2:httpGet:HTTPGetAction* 3:tcpSocket:TCPSocketAction* 4:grpc:GRPCAction*',
  'core.ProjectedVolumeSource': '1:sources:[]VolumeProjection! 2:defaultMode:int32*',
  'core.QuobyteVolumeSource':
    '1:registry:string! 2:volume:string! 3:readOnly:bool 4:user:string 5:group:string 6:tenant:string',
  'core.RBDVolumeSource':
    '1:monitors:[]string! 2:image:string! 3:fsType:string 4:pool:string 5:user:string 6:keyring:string 7:secretRef:LocalObjectReference* 8:readOnly:bool',
  'core.ReplicationController':
    '1:metadata:meta.ObjectMeta 2:spec:ReplicationControllerSpec 3:status:ReplicationControllerStatus',
  'core.ReplicationControllerCondition':
    '1:type:string! 2:status:string! 3:lastTransitionTime:time 4:reason:string 5:message:string',
  'core.ReplicationControllerSpec':
    '1:replicas:int32* 2:selector:{string} 3:template:PodTemplateSpec* 4:minReadySeconds:int32',
  'core.ReplicationControllerStatus':
    '1:replicas:int32! 2:fullyLabeledReplicas:int32 3:observedGeneration:int64 4:readyReplicas:int32 5:availableReplicas:int32 6:conditions:[]ReplicationControllerCondition',
  'core.ResourceClaim': '1:name:string! 2:request:string',
  'core.ResourceFieldSelector': '1:containerName:string 2:resource:string! 3:divisor:quantity',
  'core.ResourceHealth': '1:resourceID:string! 2:health:string',
  'core.ResourceQuota': '1:metadata:meta.ObjectMeta 2:spec:ResourceQuotaSpec 3:status:ResourceQuotaStatus',
  'core.ResourceQuotaSpec': '1:hard:{quantity} 2:scopes:[]string 3:scopeSelector:ScopeSelector*',
  'core.ResourceQuotaStatus': '1:hard:{quantity} 2:used:{quantity}',
  'core.ResourceRequirements': '1:limits:{quantity} 2:requests:{quantity} 3:claims:[]ResourceClaim',
  'core.ResourceStatus': '1:name:string! 2:resources:[]ResourceHealth',
  'core.ScaleIOVolumeSource':
    '1:gateway:string! 2:system:string! 3:secretRef:LocalObjectReference*! 4:sslEnabled:bool 5:protectionDomain:string 6:storagePool:string 7:storageMode:string 8:volumeName:string 9:fsType:string 10:readOnly:bool',
  'core.ScopedResourceSelectorRequirement': '1:scopeName:string! 2:operator:string! 3:values:[]string',
  'core.ScopeSelector': '1:matchExpressions:[]ScopedResourceSelectorRequirement',
  'core.SeccompProfile': '1:type:string! 2:localhostProfile:string*',
  'core.Secret':
    '1:metadata:meta.ObjectMeta 2:data:{bytes} 3:type:string 4:stringData:{string} 5:immutable:bool*',
  'core.SecretEnvSource': '1:localObjectReference:^LocalObjectReference 2:optional:bool*',
  'core.SecretKeySelector': '1:localObjectReference:^LocalObjectReference 2:key:string! 3:optional:bool*',
  'core.SecretProjection':
    '1:localObjectReference:^LocalObjectReference 2:items:[]KeyToPath 4:optional:bool*',
  'core.SecretVolumeSource': '1:secretName:string 2:items:[]KeyToPath 3:defaultMode:int32* 4:optional:bool*',
  'core.SecurityContext':
    '1:capabilities:Capabilities* 2:privileged:bool* 3:seLinuxOptions:SELinuxOptions* 4:runAsUser:int64* 5:runAsNonRoot:bool* 6:readOnlyRootFilesystem:bool* 7:allowPrivilegeEscalation:bool* 8:runAsGroup:int64* 9:procMount:string* 10:windowsOptions:WindowsSecurityContextOptions* 11:seccompProfile:SeccompProfile* 12:appArmorProfile:AppArmorProfile*',
  'core.SELinuxOptions': '1:user:string 2:role:string 3:type:string 4:level:string',
  'core.Service': '1:metadata:meta.ObjectMeta 2:spec:ServiceSpec 3:status:ServiceStatus',
  'core.ServiceAccount':
    '1:metadata:meta.ObjectMeta 2:secrets:[]ObjectReference 3:imagePullSecrets:[]LocalObjectReference 4:automountServiceAccountToken:bool*',
  'core.ServiceAccountTokenProjection': '1:audience:string 2:expirationSeconds:int64* 3:path:string!',
  'core.ServicePort':
    '1:name:string 2:protocol:string 3:port:int32! 4:targetPort:intorstring 5:nodePort:int32 6:appProtocol:string*',
  'core.ServiceSpec':
    '1:ports:[]ServicePort 2:selector:{string} 3:clusterIP:string 4:type:string 5:externalIPs:[]string 7:sessionAffinity:string 8:loadBalancerIP:string 9:loadBalancerSourceRanges:[]string 10:externalName:string 11:externalTrafficPolicy:string 12:healthCheckNodePort:int32 13:publishNotReadyAddresses:bool 14:sessionAffinityConfig:SessionAffinityConfig* 17:ipFamilyPolicy:string* 18:clusterIPs:[]string 19:ipFamilies:[]string 20:allocateLoadBalancerNodePorts:bool* 21:loadBalancerClass:string* 22:internalTrafficPolicy:string* 23:trafficDistribution:string*',
  'core.ServiceStatus': '1:loadBalancer:LoadBalancerStatus 2:conditions:[]meta.Condition',
  'core.SessionAffinityConfig': '1:clientIP:ClientIPConfig*',
  'core.SleepAction': '1:seconds:int64!',
  'core.StorageOSVolumeSource':
    '1:volumeName:string 2:volumeNamespace:string 3:fsType:string 4:readOnly:bool 5:secretRef:LocalObjectReference*',
  'core.Sysctl': '1:name:string! 2:value:string!',
  'core.TCPSocketAction': '1:port:intorstring 2:host:string',
  'core.Toleration':
    '1:key:string 2:operator:string 3:value:string 4:effect:string 5:tolerationSeconds:int64*',
  'core.TopologySpreadConstraint':
    '1:maxSkew:int32! 2:topologyKey:string! 3:whenUnsatisfiable:string! 4:labelSelector:meta.LabelSelector* 5:minDomains:int32* 6:nodeAffinityPolicy:string* 7:nodeTaintsPolicy:string* 8:matchLabelKeys:[]string',
  'core.TypedLocalObjectReference': '1:apiGroup:string*! 2:kind:string! 3:name:string!',
  'core.TypedObjectReference': '1:apiGroup:string*! 2:kind:string! 3:name:string! 4:namespace:string*',
  'core.Volume': '1:name:string! 2:volumeSource:^VolumeSource',
  'core.VolumeDevice': '1:name:string! 2:devicePath:string!',
  'core.VolumeMount':
    '1:name:string! 2:readOnly:bool 3:mountPath:string! 4:subPath:string 5:mountPropagation:string* 6:subPathExpr:string 7:recursiveReadOnly:string*',
  'core.VolumeMountStatus': '1:name:string! 2:mountPath:string! 3:readOnly:bool 4:recursiveReadOnly:string*',
  'core.VolumeProjection':
    '1:secret:SecretProjection* 2:downwardAPI:DownwardAPIProjection* 3:configMap:ConfigMapProjection* 4:serviceAccountToken:ServiceAccountTokenProjection* 5:clusterTrustBundle:ClusterTrustBundleProjection*',
  'core.VolumeResourceRequirements': '1:limits:{quantity} 2:requests:{quantity}',
  'core.VolumeSource':
    '1:hostPath:HostPathVolumeSource* 2:emptyDir:EmptyDirVolumeSource* 3:gcePersistentDisk:GCEPersistentDiskVolumeSource* 4:awsElasticBlockStore:AWSElasticBlockStoreVolumeSource* 5:gitRepo:GitRepoVolumeSource* 6:secret:SecretVolumeSource* 7:nfs:NFSVolumeSource* 8:iscsi:ISCSIVolumeSource* 9:glusterfs:GlusterfsVolumeSource* 10:persistentVolumeClaim:PersistentVolumeClaimVolumeSource* 11:rbd:RBDVolumeSource* 12:flexVolume:FlexVolumeSource* 13:cinder:CinderVolumeSource* 14:cephfs:CephFSVolumeSource* 15:flocker:FlockerVolumeSource* 16:downwardAPI:DownwardAPIVolumeSource* 17:fc:FCVolumeSource* 18:azureFile:AzureFileVolumeSource* 19:configMap:ConfigMapVolumeSource* 20:vsphereVolume:VsphereVirtualDiskVolumeSource* 21:quobyte:QuobyteVolumeSource* 22:azureDisk:AzureDiskVolumeSource* 23:photonPersistentDisk:PhotonPersistentDiskVolumeSource* 24:portworxVolume:PortworxVolumeSource* 25:scaleIO:ScaleIOVolumeSource* 26:projected:ProjectedVolumeSource* 27:storageos:StorageOSVolumeSource* 28:csi:CSIVolumeSource* 29:ephemeral:EphemeralVolumeSource* 30:image:ImageVolumeSource*',
  'core.VsphereVirtualDiskVolumeSource':
    '1:volumePath:string! 2:fsType:string 3:storagePolicyName:string 4:storagePolicyID:string',
  'core.WeightedPodAffinityTerm': '1:weight:int32! 2:podAffinityTerm:PodAffinityTerm',
  'core.WindowsSecurityContextOptions':
    '1:gmsaCredentialSpecName:string* 2:gmsaCredentialSpec:string* 3:runAsUserName:string* 4:hostProcess:bool*',
  // k8s.io/apimachinery/pkg/apis/meta/v1
  'meta.Condition':
    '1:type:string! 2:status:string! 3:observedGeneration:int64 4:lastTransitionTime:time 5:reason:string! 6:message:string!',
  'meta.DeleteOptions':
    '1:gracePeriodSeconds:int64* 2:preconditions:Preconditions* 3:orphanDependents:bool* 4:propagationPolicy:string* 5:dryRun:[]string 6:ignoreStoreReadErrorWithClusterBreakingPotential:bool*',
  'meta.FieldSelectorRequirement': '1:key:string! 2:operator:string! 3:values:[]string',
  'meta.LabelSelector': '1:matchLabels:{string} 2:matchExpressions:[]LabelSelectorRequirement',
  'meta.LabelSelectorRequirement': '1:key:string! 2:operator:string! 3:values:[]string',
  'meta.ListMeta': '1:selfLink:string 2:resourceVersion:string 3:continue:string 4:remainingItemCount:int64*',
  'meta.ManagedFieldsEntry':
    '1:manager:string 2:operation:string 3:apiVersion:string 4:time:time* 6:fieldsType:string 7:fieldsV1:fieldsv1* 8:subresource:string',
  'meta.ObjectMeta':
    '1:name:string 2:generateName:string 3:namespace:string 4:selfLink:string 5:uid:string 6:resourceVersion:string 7:generation:int64 8:creationTimestamp:time 9:deletionTimestamp:time* 10:deletionGracePeriodSeconds:int64* 11:labels:{string} 12:annotations:{string} 13:ownerReferences:[]OwnerReference 14:finalizers:[]string 17:managedFields:[]ManagedFieldsEntry',
  'meta.OwnerReference':
    '1:kind:string! 3:name:string! 4:uid:string! 5:apiVersion:string! 6:controller:bool* 7:blockOwnerDeletion:bool*',
  'meta.Preconditions': '1:uid:string* 2:resourceVersion:string*',
  'meta.Status':
    '1:metadata:ListMeta 2:status:string 3:message:string 4:reason:string 5:details:StatusDetails* 6:code:int32',
  'meta.StatusCause': '1:reason:string 2:message:string 3:field:string',
  'meta.StatusDetails':
    '1:name:string 2:group:string 3:kind:string 4:causes:[]StatusCause 5:retryAfterSeconds:int32 6:uid:string',
  // k8s.io/api/networking/v1
  'networking.HTTPIngressPath': '1:path:string 2:backend:IngressBackend 3:pathType:string*!',
  'networking.HTTPIngressRuleValue': '1:paths:[]HTTPIngressPath!',
  'networking.Ingress': '1:metadata:meta.ObjectMeta 2:spec:IngressSpec 3:status:IngressStatus',
  'networking.IngressBackend': '3:resource:core.TypedLocalObjectReference* 4:service:IngressServiceBackend*',
  'networking.IngressLoadBalancerIngress': '1:ip:string 2:hostname:string 4:ports:[]IngressPortStatus',
  'networking.IngressLoadBalancerStatus': '1:ingress:[]IngressLoadBalancerIngress',
  'networking.IngressPortStatus': '1:port:int32! 2:protocol:string! 3:error:string*',
  'networking.IngressRule': '1:host:string 2:ingressRuleValue:^IngressRuleValue',
  'networking.IngressRuleValue': '1:http:HTTPIngressRuleValue*',
  'networking.IngressServiceBackend': '1:name:string! 2:port:ServiceBackendPort',
  'networking.IngressSpec':
    '1:defaultBackend:IngressBackend* 2:tls:[]IngressTLS 3:rules:[]IngressRule 4:ingressClassName:string*',
  'networking.IngressStatus': '1:loadBalancer:IngressLoadBalancerStatus',
  'networking.IngressTLS': '1:hosts:[]string 2:secretName:string',
  'networking.ServiceBackendPort': '1:name:string 2:number:int32',
  // k8s.io/api/policy/v1
  'policy.Eviction': '1:metadata:meta.ObjectMeta 2:deleteOptions:meta.DeleteOptions*',
  'policy.PodDisruptionBudget':
    '1:metadata:meta.ObjectMeta 2:spec:PodDisruptionBudgetSpec 3:status:PodDisruptionBudgetStatus',
  'policy.PodDisruptionBudgetSpec':
    '1:minAvailable:intorstring* 2:selector:meta.LabelSelector* 3:maxUnavailable:intorstring* 4:unhealthyPodEvictionPolicy:string*',
  'policy.PodDisruptionBudgetStatus':
    '1:observedGeneration:int64 2:disruptedPods:{time} 3:disruptionsAllowed:int32! 4:currentHealthy:int32! 5:desiredHealthy:int32! 6:expectedPods:int32! 7:conditions:[]meta.Condition',
  // k8s.io/api/rbac/v1
  'rbac.AggregationRule': '1:clusterRoleSelectors:[]meta.LabelSelector',
  'rbac.ClusterRole': '1:metadata:meta.ObjectMeta 2:rules:[]PolicyRule! 3:aggregationRule:AggregationRule*',
  'rbac.ClusterRoleBinding': '1:metadata:meta.ObjectMeta 2:subjects:[]Subject 3:roleRef:RoleRef',
  'rbac.PolicyRule':
    '1:verbs:[]string! 2:apiGroups:[]string 3:resources:[]string 4:resourceNames:[]string 5:nonResourceURLs:[]string',
  'rbac.Role': '1:metadata:meta.ObjectMeta 2:rules:[]PolicyRule!',
  'rbac.RoleBinding': '1:metadata:meta.ObjectMeta 2:subjects:[]Subject 3:roleRef:RoleRef',
  'rbac.RoleRef': '1:apiGroup:string! 2:kind:string! 3:name:string!',
  'rbac.Subject': '1:kind:string! 2:apiGroup:string 3:name:string! 4:namespace:string',
  // k8s.io/api/scheduling/v1
  'scheduling.PriorityClass':
    '1:metadata:meta.ObjectMeta 2:value:int32! 3:globalDefault:bool 4:description:string 5:preemptionPolicy:string*',
};
